# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fingerprint of each resolved bake target, computed by buildkit_build's code (_build/fingerprint.py).

A target's fingerprint covers its resolved definition (secret and ssh ids only, no paths of outputs or
caches), its Dockerfile, its context and local named contexts (each a tree, with .dockerignore as buildx
applies it, file digests from the same digest cache as buildkit_build), and the fingerprints of the targets
it uses through ``target:`` contexts. Its `inputs` are short digests of those parts, recorded with the
outputs so that the next run can tell which input changed.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import command as bcmd
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import graph
from ansible_collections.buildkit.fleet.plugins.module_utils._build import fingerprint as fpr
from ansible_collections.buildkit.fleet.plugins.module_utils._build.command import is_remote
from ansible_collections.buildkit.fleet.plugins.module_utils._build.digest_cache import DigestCache
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError

SHORT = 12


def short(value):
    text = value if isinstance(value, str) else fpr.canonical(value)
    return hashlib.sha256(text.encode('utf-8', 'surrogateescape')).hexdigest()[:SHORT]


def definition_parts(definition):
    """{field or field.key: short digest} of the definition as it counts (dict fields key by key)."""
    found = {}
    for key, value in sorted(bcmd.fingerprint_definition(definition).items()):
        if isinstance(value, dict):
            for sub, item in sorted(value.items()):
                found['%s.%s' % (key, sub)] = short(fpr.canonical(item))
        else:
            found[key] = short(fpr.canonical(value))
    return found


class Fingerprinter(object):
    """Fingerprints of the targets of one resolved definition; file digests cached per context root."""

    def __init__(self, working_dir, writable):
        self.working_dir, self.writable = working_dir, writable
        self.caches = {}

    def _hasher(self, root):
        if root not in self.caches:
            self.caches[root] = DigestCache(root, fpr.hash_file, writable=self.writable)
        return self.caches[root]

    def save(self):
        for cache in self.caches.values():
            cache.save()

    def _path(self, value):
        return value if os.path.isabs(value) else os.path.normpath(os.path.join(self.working_dir, value))

    def target(self, name, definition, dependency_fingerprints):
        """(fingerprint, details, inputs) of one target; dependency_fingerprints: {used target: fingerprint}."""
        context = definition.get('context') or '.'
        remote = is_remote(context) or '://' in context
        root = None if remote else self._path(context)
        if root is not None and not os.path.isdir(root):
            raise SpecError("files: target '%s' has context '%s', which is not a directory under working_dir %s"
                            % (name, context, self.working_dir))
        dockerfile = None
        if definition.get('dockerfile-inline') is not None:
            text = definition['dockerfile-inline']
        else:
            given = definition.get('dockerfile') or 'Dockerfile'
            if os.path.isabs(given):
                dockerfile = given
            elif root is not None:
                dockerfile = os.path.join(root, given)
            if dockerfile is None:
                text = 'remote:' + given
            else:
                try:
                    with open(dockerfile, 'rb') as handle:
                        text = handle.read()
                except (IOError, OSError) as exc:
                    raise SpecError("files: target '%s': cannot read its Dockerfile %s: %s" % (name, dockerfile, exc))
        contexts = []
        if root is None:
            contexts.append(('context', None, [], context))
        else:
            contexts.append(('context', root, fpr.read_dockerignore(root, dockerfile), None))
        for cname, value in sorted((definition.get('contexts') or {}).items()):
            if isinstance(value, str) and value.startswith(graph.TARGET_PREFIX):
                continue  # counted by the used target's fingerprint
            local = bcmd.local_context(value)
            path = self._path(local) if local else None
            if path and os.path.isdir(path):
                contexts.append(('named:' + cname, path, fpr.read_dockerignore(path), None))
            else:
                contexts.append(('named:' + cname, None, [], str(value)))
        options = {'bake_definition': bcmd.fingerprint_definition(definition),
                   'dependencies': dict(sorted(dependency_fingerprints.items()))}
        try:
            fingerprint, details = fpr.fingerprint(text, options, contexts, self._hasher)
        except fpr.FingerprintError as exc:
            raise SpecError("files: target '%s': %s" % (name, exc))
        # what a dependent counts of this target: the same without the outputs (bake prints a target that is
        # only used by others with a cacheonly output, and --push/--load change outputs, not the image)
        content_options = dict(options, bake_definition=dict((k, v) for k, v in options['bake_definition'].items()
                                                             if k != 'output'))
        content_contexts = [(k, None, [], v.get('digest') or v.get('literal') or '') for k, v in details['contexts'].items()]
        details['content'] = fpr.fingerprint(text, content_options, content_contexts)[0]
        inputs = {
            'dockerfile': details['dockerfile'][:SHORT],
            'definition': definition_parts(definition),
            'contexts': dict((k, (v.get('digest') or short(v.get('literal') or ''))[:SHORT])
                             for k, v in details['contexts'].items()),
            'dependencies': dict((k, v.split(':', 1)[-1][:SHORT]) for k, v in dependency_fingerprints.items()),
        }
        return fingerprint, details, inputs


def all_targets(fingerprinter, targets, order):
    """{name: (fingerprint, details, inputs)} of every target, dependencies first (the fingerprint of what they
    build, details['content'], counts in their dependents')."""
    found = {}
    for name in order:
        used = dict((dep, found[dep][1]['content']) for dep in graph.dependencies(targets[name]))
        found[name] = fingerprinter.target(name, targets[name], used)
    return found

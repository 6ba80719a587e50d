# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module options -> `buildx bake` argv and environment; checks of the options bake would only reject late (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.buildkit.fleet.plugins.module_utils._build.command import FINGERPRINT_LABEL

INPUTS_LABEL = 'buildkit.fleet.bake.inputs'
# entitlements `--allow` takes (buildx's bake entitlements, with an optional =path for the fs ones)
ENTITLEMENTS = ('network.host', 'security.insecure', 'fs', 'fs.read', 'fs.write', 'ssh')
_SET_RE = re.compile(r'^[^=.\s]+\.[A-Za-z][A-Za-z0-9_-]*(\.[^=]+)?=')
_VARIABLE_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
# `cd` into the working directory and run the command: process.run has no cwd of its own
CHDIR = ['/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh']


def _value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def check_options(params):
    """The first problem of the options that need no file read, or None."""
    for index, item in enumerate(params.get('set') or []):
        if not _SET_RE.match(item):
            return ("set[%d]: '%s' is not an override of the form <target pattern>.<key>=<value> "
                    "(for example web.args.VERSION=2)" % (index, item))
    for name, value in sorted((params.get('variables') or {}).items()):
        if not _VARIABLE_RE.match(name):
            return "variables: '%s' is not a valid variable name (letters, digits and _)" % name
        if value is None or isinstance(value, (dict, list)):
            return "variables: the value of '%s' must be a string, number or boolean, got %r" % (name, value)
    for item in params.get('allow') or []:
        if item.split('=', 1)[0] not in ENTITLEMENTS:
            return "allow: '%s' is not an entitlement bake knows (%s, optionally fs*=<path>)" % (
                item, ', '.join(ENTITLEMENTS))
    if params.get('build_timeout') is not None and params['build_timeout'] <= 0:
        return "build_timeout: must be a positive number of seconds, got '%s'" % params['build_timeout']
    return None


def file_paths(params):
    """The bake files as absolute paths (relative ones are relative to working_dir), in order."""
    root = params['working_dir']
    return [f if os.path.isabs(f) else os.path.normpath(os.path.join(root, f)) for f in params.get('files') or []]


def variables_env(params):
    return dict((name, _value(value)) for name, value in (params.get('variables') or {}).items())


def _common(params):
    argv = []
    for path in file_paths(params):
        argv += ['--file', path]
    for item in params.get('set') or []:
        argv += ['--set', item]
    if params.get('push'):
        argv.append('--push')
    if params.get('load'):
        argv.append('--load')
    if params.get('no_cache'):
        argv.append('--no-cache')
    if params.get('pull'):
        argv.append('--pull')
    if params.get('provenance') is not None:
        argv += ['--provenance', params['provenance']]
    if params.get('sbom') is not None:
        argv += ['--sbom', params['sbom']]
    return argv


def print_argv(base, params):
    """`bake --print` of the requested targets (the default group when none)."""
    return CHDIR + [params['working_dir']] + list(base) + ['bake', '--builder', params['builder'], '--print'] + \
        _common(params) + list(params.get('targets') or [])


def list_argv(base, params):
    """`bake --list targets` of the files: every target and group name they define."""
    return CHDIR + [params['working_dir']] + list(base) + ['bake', '--builder', params['builder'], '--list',
                                                           'type=targets,format=json'] + _common(params)


def label_sets(name, fingerprint, inputs_text):
    return ['--set', '%s.labels.%s=%s' % (name, FINGERPRINT_LABEL, fingerprint),
            '--set', '%s.labels.%s=%s' % (name, INPUTS_LABEL, inputs_text)]


def build_argv(base, params, metadata_file, stale, labels):
    """The one `bake` call for the stale targets; labels: {target: (fingerprint, inputs text)} of every target
    the call builds (the stale ones and what they use), so each image carries its own fingerprint."""
    argv = CHDIR + [params['working_dir']] + list(base) + ['bake', '--builder', params['builder'], '--progress', 'rawjson',
                                                           '--metadata-file', metadata_file] + _common(params)
    for item in params.get('allow') or []:
        argv += ['--allow', item]
    for name in sorted(labels):
        argv += label_sets(name, labels[name][0], labels[name][1])
    return argv + list(stale)


def command_words(argv):
    """The argv without the chdir wrapper (what the result shows)."""
    if argv[:len(CHDIR)] == CHDIR:
        return argv[len(CHDIR) + 1:]
    return argv


# --- outputs of a resolved target ----------------------------------------------------------------
def _truthy(value):
    return str(value).lower() in ('true', '1', 'yes')


def outputs(definition):
    """What a resolved target writes, as checkable outputs: [{kind: load|push|file|none, ...}]."""
    found = []
    for output in definition.get('output') or []:
        if isinstance(output, str):  # older buildx printed the CSV form
            output = dict(field.split('=', 1) for field in output.split(',') if '=' in field)
        kind = output.get('type') or ''
        if kind == 'docker' or (kind == 'image' and _truthy(output.get('load'))):
            if output.get('dest'):
                found.append({'kind': 'file', 'type': 'tar', 'dest': output['dest']})
            else:
                found.append({'kind': 'load'})
        elif kind == 'registry' or (kind == 'image' and _truthy(output.get('push'))):
            found.append({'kind': 'push'})
        elif kind in ('local', 'tar', 'oci') and output.get('dest') and output.get('dest') != '-':
            found.append({'kind': 'file', 'type': kind, 'dest': output['dest']})
        else:
            found.append({'kind': 'none', 'type': kind})
    return found


def tags(definition):
    return list(definition.get('tags') or [])


# --- the definition as it counts in the fingerprint -----------------------------------------------
_PATH_KEYS = ('dest', 'src')


def fingerprint_definition(definition):
    """The resolved target without what must not count: secret sources (ids only), ssh paths, output and
    cache paths, and the module's own labels."""
    clean = {}
    for key, value in sorted(definition.items()):
        if key == 'secret':
            clean[key] = sorted(_id_of(v) for v in value or [])
        elif key == 'ssh':
            clean[key] = sorted(_id_of(v) for v in value or [])
        elif key in ('output', 'cache-from', 'cache-to'):
            clean[key] = [dict((k, v) for k, v in sorted(item.items()) if k not in _PATH_KEYS) if isinstance(item, dict)
                          else item for item in value or []]
        elif key == 'labels':
            clean[key] = dict((k, v) for k, v in (value or {}).items() if k not in (FINGERPRINT_LABEL, INPUTS_LABEL))
        else:
            clean[key] = value
    return clean


def _id_of(value):
    if isinstance(value, dict):
        return value.get('id') or 'default'
    text = str(value)
    for field in text.split(','):
        if field.startswith('id='):
            return field[3:]
    return text.split('=', 1)[0] if ',' not in text else text


def local_context(value):
    """A named context value that is a local directory path (not target:, docker-image://, a URL, ...)."""
    if not isinstance(value, str) or not value or '://' in value or ':' in value.split('/', 1)[0]:
        return None
    return value

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether each bake target's outputs still hold its fingerprint, and the records written after a build.

As buildkit_build records it: the image label buildkit.fleet.fingerprint of every tag (loaded images in
Docker, pushed images in the registry: every platform's config) and a record <dest>.buildkit-fleet.json
beside file outputs. Bake targets also carry the label buildkit.fleet.bake.inputs (short digests of the
parts of the fingerprint), from which the next run tells which input changed.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import tempfile

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import command as bcmd
from ansible_collections.buildkit.fleet.plugins.module_utils._bake.registry import ManifestCache, RegistryReader, Unknown
from ansible_collections.buildkit.fleet.plugins.module_utils._build import outputs as bouts
from ansible_collections.buildkit.fleet.plugins.module_utils._build import process
from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as bres
from ansible_collections.buildkit.fleet.plugins.module_utils._common.cache_dir import default_directory
from ansible_collections.buildkit.fleet.plugins.module_utils._build.command import FINGERPRINT_LABEL
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import normalized_text


def parse_inputs(text):
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _labels(config):
    return ((config or {}).get('config') or config.get('Config') or {}).get('Labels') or {}


class Checker(object):
    """Reads what the outputs of the targets hold (Docker, the registry, records beside files)."""

    def __init__(self, params, env, base, working_dir, writable=True):
        self.params, self.env, self.base, self.working_dir = params, env, base, working_dir
        self.run_command = None
        self._images = None
        self.registry = RegistryReader(cache=ManifestCache(os.path.join(default_directory(), 'manifests.json'),
                                                           writable=writable))
        self.remote_cache = {}

    def inspect_image(self, tag):
        if self._images is None:
            from ansible_collections.buildkit.fleet.plugins.module_utils._build.image_inspect import ImageInspector
            self._images = ImageInspector(self.params)
        return self._images.inspect(tag)

    def _imagetools(self, tag):
        argv = self.base + ['imagetools', 'inspect', '--builder', self.params['builder'], tag]
        rc, out, _err = process.run(self.run_command, argv + ['--raw'], self.env, timeout=60)
        if rc != 0:
            return None
        try:
            index = json.loads(out)
        except ValueError:
            return None
        rc, out, _err = process.run(self.run_command, argv + ['--format', '{{json .Image}}'], self.env, timeout=60)
        try:
            configs = bouts.image_configs(json.loads(out)) if rc == 0 else {}
        except ValueError:
            configs = {}
        if not configs:
            return None
        plats = bres.platform_digests(index) if index.get('manifests') is not None else {}
        return {'digest': None, 'platform_digests': plats, 'configs': configs}

    def prefetch(self, definitions):
        """Read the pushed tags of these target definitions from the registry (one kept-alive connection)."""
        tags = [t for d in definitions if any(o['kind'] == 'push' for o in bcmd.outputs(d)) for t in bcmd.tags(d)]
        for tag in tags:
            if tag not in self.remote_cache:
                try:
                    self.remote_cache[tag] = self.registry.image(tag)
                except Unknown:
                    pass  # remote() asks imagetools

    def remote(self, tag):
        """The pushed image of tag: {digest, platform_digests, configs} or None."""
        if tag not in self.remote_cache:
            try:
                self.remote_cache[tag] = self.registry.image(tag)
            except Unknown:
                self.remote_cache[tag] = self._imagetools(tag)
        return self.remote_cache[tag]

    def _dest(self, dest):
        return dest if os.path.isabs(dest) else os.path.normpath(os.path.join(self.working_dir, dest))

    def check(self, name, definition, fingerprint):
        """(reason or None, recorded inputs or None, known {image_id, digest, platform_digests}) of one target."""
        outputs = bcmd.outputs(definition)
        tags = bcmd.tags(definition)
        known, recorded = {}, None
        if not outputs or all(o['kind'] == 'none' for o in outputs):
            return 'no outputs: the result stays in the build cache, there is nothing to check', None, known
        for output in outputs:
            kind = output['kind']
            if kind == 'none':
                continue
            if kind in ('load', 'push') and not tags:
                return '%s output without tags cannot be checked' % kind, recorded, known
            if kind == 'load':
                for tag in tags:
                    image = self.inspect_image(tag)
                    if image is None:
                        return 'image %s is not in Docker' % tag, recorded, known
                    labels = _labels(image)
                    recorded = recorded or parse_inputs(labels.get(bcmd.INPUTS_LABEL))
                    if labels.get(FINGERPRINT_LABEL) != fingerprint:
                        return 'image %s was built from other inputs' % tag, recorded, known
                    known.setdefault('image_id', image.get('Id'))
            elif kind == 'push':
                platforms = [normalized_text(p) for p in definition.get('platforms') or []]
                for tag in tags:
                    found = self.remote(tag)
                    if not found:
                        return 'tag %s is not in the registry' % tag, recorded, known
                    for plat, config in sorted(found['configs'].items()):
                        labels = _labels(config)
                        recorded = recorded or parse_inputs(labels.get(bcmd.INPUTS_LABEL))
                        if labels.get(FINGERPRINT_LABEL) != fingerprint:
                            return 'tag %s (%s) was built from other inputs' % (tag, plat), recorded, known
                    missing = [p for p in platforms if p not in found['configs']]
                    if missing:
                        return 'tag %s lacks platform %s' % (tag, ', '.join(missing)), recorded, known
                    if found.get('digest'):
                        known.setdefault('digest', found['digest'])
                    if any(found['platform_digests'].values()):
                        known.setdefault('platform_digests', found['platform_digests'])
            else:
                spec = {'type': output['type'], 'dest': self._dest(output['dest'])}
                reason, record = bouts.check_file(spec, fingerprint)
                if record:
                    recorded = recorded or record.get('inputs')
                if reason:
                    return reason, recorded, known
                for key in ('image_id', 'digest', 'platform_digests'):
                    if record.get(key):
                        known.setdefault(key, record[key])
        return None, recorded, known

    def write_records(self, definition, fingerprint, inputs, summary):
        """Records beside the file outputs of a built target; returns their paths."""
        written = []
        for output in bcmd.outputs(definition):
            if output['kind'] != 'file':
                continue
            dest = self._dest(output['dest'])
            if not os.path.lexists(dest):
                continue
            path = bouts.record_path(dest)
            record = {'version': bouts.RECORD_VERSION, 'fingerprint': fingerprint, 'type': output['type'],
                      'size': os.path.getsize(dest) if os.path.isfile(dest) else None, 'inputs': inputs,
                      'image_id': summary.get('image_id'), 'digest': summary.get('digest'),
                      'platform_digests': summary.get('platform_digests') or {}}
            fd, tmp = tempfile.mkstemp(prefix='.buildkit-fleet-', dir=os.path.dirname(path) or '.')
            with os.fdopen(fd, 'w') as handle:
                json.dump(record, handle, sort_keys=True, indent=1)
            os.chmod(tmp, 0o644)
            os.rename(tmp, path)
            written.append(path)
        return written

    def close(self):
        self.registry.close()
        self.registry.cache.save()

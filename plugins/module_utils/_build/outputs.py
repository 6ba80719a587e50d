# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a build's fingerprint is recorded, and whether each output still holds it.

- load: the image label buildkit.fleet.fingerprint of every tag in the Docker daemon;
- push: the same label in the config of every platform of every tag in the registry
  (read with `buildx imagetools inspect`, which uses buildx's auth and registry settings);
- local, tar, oci: a small JSON record beside the output, <dest>.buildkit-fleet.json.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import tempfile

from ansible_collections.buildkit.fleet.plugins.module_utils._build.command import FILE_OUTPUTS, FINGERPRINT_LABEL
from ansible_collections.buildkit.fleet.plugins.module_utils._build.results import platform_digests
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform

RECORD_SUFFIX = '.buildkit-fleet.json'
RECORD_VERSION = 1


def record_path(dest):
    return os.path.normpath(dest) + RECORD_SUFFIX


def _output_size(dest):
    return os.path.getsize(dest) if os.path.isfile(dest) else None


def write_record(output, fingerprint, summary):
    dest = output['dest']
    record = {'version': RECORD_VERSION, 'fingerprint': fingerprint, 'type': output['type'],
              'size': _output_size(dest), 'image_id': summary.get('image_id'), 'digest': summary.get('digest'),
              'platform_digests': summary.get('platform_digests') or {}}
    path = record_path(dest)
    fd, tmp = tempfile.mkstemp(prefix='.buildkit-fleet-', dir=os.path.dirname(path) or '.')
    with os.fdopen(fd, 'w') as handle:
        json.dump(record, handle, sort_keys=True, indent=1)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)
    return path


def read_record(dest):
    try:
        with open(record_path(dest)) as handle:
            data = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def check_file(output, fingerprint):
    """(None, record) when the output holds this fingerprint, else (reason, record or None)."""
    dest = output['dest']
    record = read_record(dest)
    if not os.path.lexists(dest):
        return '%s output %s does not exist' % (output['type'], dest), record
    if record is None:
        return '%s output %s has no record %s' % (output['type'], dest, record_path(dest)), None
    if record.get('fingerprint') != fingerprint:
        return '%s output %s was built from other inputs (%s)' % (output['type'], dest, record.get('fingerprint')), record
    if record.get('size') is not None and _output_size(dest) != record['size']:
        return '%s output %s changed since it was built' % (output['type'], dest), record
    if os.path.isdir(dest) and not os.listdir(dest):
        return '%s output %s is empty' % (output['type'], dest), record
    return None, record


def check_load(inspect_image, tags, fingerprint):
    """inspect_image(tag) returns the image inspect dict or None. (reason or None, image_id)."""
    if not tags:
        return 'load output without tags cannot be checked', None
    image_id = None
    for tag in tags:
        image = inspect_image(tag)
        if image is None:
            return 'image %s is not in Docker' % tag, None
        found = ((image.get('Config') or {}).get('Labels') or {}).get(FINGERPRINT_LABEL)
        if found != fingerprint:
            return 'image %s was built from other inputs (%s)' % (tag, found), None
        image_id = image.get('Id')
    return None, image_id


def check_push(inspect_remote, tags, fingerprint, platforms):
    """inspect_remote(tag) returns {platform: config} or None. (reason or None, found platforms)."""
    if not tags:
        return 'push output without tags cannot be checked', None
    found = None
    for tag in tags:
        configs = inspect_remote(tag)
        if not configs:
            return 'tag %s is not in the registry' % tag, None
        for plat, config in sorted(configs.items()):
            label = ((config.get('config') or {}).get('Labels') or {}).get(FINGERPRINT_LABEL)
            if label != fingerprint:
                return 'tag %s (%s) was built from other inputs (%s)' % (tag, plat, label), None
        missing = [p for p in platforms if p not in configs]
        if missing:
            return 'tag %s lacks platform %s' % (tag, ', '.join(missing)), None
        found = sorted(configs)
    return None, found


def image_configs(image_json):
    """{platform: config} from `imagetools inspect --format '{{json .Image}}'` (one config or a map)."""
    if not isinstance(image_json, dict):
        return {}
    if 'architecture' in image_json:
        image_json = {format_platform(dict({'os': 'linux'}, **image_json)): image_json}
    return dict((k, v) for k, v in image_json.items() if isinstance(v, dict))


def oci_platform_digests(path):
    """{platform: manifest digest} of an OCI layout tarball (or directory)."""
    import tarfile  # imported here: only oci outputs are read back

    def from_dir(name):
        with open(os.path.join(path, name), 'rb') as handle:
            return json.loads(handle.read().decode('utf-8'))
    try:
        if os.path.isdir(path):
            read = from_dir
            index = read('index.json')
            return platform_digests(index, lambda d: read('blobs/%s' % d.replace(':', '/')))
        with tarfile.open(path) as archive:
            def read_member(name):
                return json.loads(archive.extractfile(name).read().decode('utf-8'))
            index = read_member('index.json')
            return platform_digests(index, lambda d: read_member('blobs/%s' % d.replace(':', '/')))
    except (IOError, OSError, KeyError, ValueError, tarfile.TarError, AttributeError):
        return {}


def file_outputs(outputs):
    return [o for o in outputs or [] if o['type'] in FILE_OUTPUTS]

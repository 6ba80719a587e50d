# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""BuildKit workers as `buildctl debug workers` shows them: platforms, labels, GC policy, version (pure).

The one reader of that answer: the node access, the builder, its facts and the cache all take workers from here.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platforms

WORKERS_ARGV = ('buildctl', 'debug', 'workers', '--format', '{{json .}}')
INFO_ARGV = ('buildctl', 'debug', 'info', '--format', '{{json .}}')


_GO_NAMES = {'id': 'ID', 'gcPolicy': 'GCPolicy'}


def _field(raw, name):
    """A field by its JSON tag (buildctl's {{json .}}: gcPolicy), else by its Go name (GCPolicy, Platforms)."""
    for key in (name, _GO_NAMES.get(name, name[0].upper() + name[1:])):
        if key in raw:
            return raw[key]
    return None


def parse_gc_policy(policies):
    """GC policy rules of a worker, with plain units (seconds and bytes)."""
    rules = []
    for rule in policies or []:
        reserved = _field(rule, 'reservedSpace')
        if reserved is None:
            reserved = _field(rule, 'keepBytes')  # BuildKit < 0.17
        rules.append({
            'all': bool(_field(rule, 'all')),
            'filters': list(_field(rule, 'filter') or []),
            'keep_duration': int((_field(rule, 'keepDuration') or 0) // 10 ** 9),
            'reserved_space': int(reserved or 0),
            'max_used_space': int(_field(rule, 'maxUsedSpace') or 0),
            'min_free_space': int(_field(rule, 'minFreeSpace') or 0),
        })
    return rules


def worker(raw):
    """One worker with snake_case keys: id, platforms (os/arch[/variant] text), labels, gc_policy, buildkit_version."""
    version = _field(raw, 'buildkitVersion') or {}
    return {
        'id': _field(raw, 'id'),
        'platforms': format_platforms(_field(raw, 'platforms')),
        'labels': dict(_field(raw, 'labels') or {}),
        'gc_policy': parse_gc_policy(_field(raw, 'gcPolicy')),
        'buildkit_version': _field(version, 'version'),
    }


def parse_workers(text):
    """Workers from `buildctl debug workers --format '{{json .}}'` (a JSON array, or null)."""
    try:
        data = json.loads(text or 'null')
    except ValueError as exc:
        raise CacheError('buildctl debug workers answered something that is not JSON (%s): %s' % (exc, text[:200]))
    if data is None:
        return []
    if not isinstance(data, list):
        raise CacheError('buildctl debug workers answered JSON that is not a list: %s' % text[:200])
    return [worker(item) for item in data]


def detected_platforms(workers):
    """Every platform the workers report, without repeats, in order."""
    found = []
    for item in workers or []:
        found.extend(p for p in item['platforms'] if p not in found)
    return found


def buildkit_version(workers):
    """The BuildKit version the first worker reports, or None."""
    return next((item['buildkit_version'] for item in workers or [] if item['buildkit_version']), None)


def worker_facts(workers):
    """Platforms, labels, GC policy and version of the first (the only, for docker-container) worker."""
    if not workers:
        return {'platforms': [], 'worker_labels': {}, 'gc_policy': [], 'worker_id': None, 'buildkit_version': None}
    first = workers[0]
    return {
        'worker_id': first['id'],
        'platforms': list(first['platforms']),
        'worker_labels': dict(first['labels']),
        'gc_policy': list(first['gc_policy']),
        'buildkit_version': first['buildkit_version'],
    }


def parse_debug_info(text):
    """The BuildKit version from `buildctl debug info --format '{{json .}}'`, or None."""
    try:
        data = json.loads(text or '{}') or {}
    except ValueError:
        return None
    return _field(_field(data, 'buildkitVersion') or {}, 'version')

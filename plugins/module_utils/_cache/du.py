# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The build cache as `buildctl du` shows it: records, totals, free space (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError

RECORD_TYPES = ('regular', 'source.local', 'source.git.checkout', 'exec.cachemount', 'frontend', 'internal')
# Record types a prune without O(all) never removes (moby/buildkit cache/manager.go pruneOnce).


def du_argv(filters=None):
    argv = ['buildctl', 'du', '--format', '{{json .}}']
    for expr in filters or []:
        argv += ['--filter', expr]
    return argv


def parse_record(raw, default_type='regular'):
    """One cache record from buildctl JSON (du or prune), with snake_case keys."""
    return {
        'id': raw.get('id') or raw.get('ID'),
        'type': raw.get('recordType') or raw.get('RecordType') or default_type,
        'size': int(raw.get('size', raw.get('Size')) or 0),
        'in_use': bool(raw.get('inUse', raw.get('InUse'))),
        'shared': bool(raw.get('shared', raw.get('Shared'))),
        'mutable': bool(raw.get('mutable', raw.get('Mutable'))),
        'description': raw.get('description') or raw.get('Description') or '',
        'usage_count': int(raw.get('usageCount', raw.get('UsageCount')) or 0),
        'created_at': raw.get('createdAt') or raw.get('CreatedAt'),
        'last_used_at': raw.get('lastUsedAt') or raw.get('LastUsedAt'),
        'parents': list(raw.get('parents') or raw.get('Parents') or []),
    }


def parse_du(text):
    """Records from `buildctl du --format '{{json .}}'` (one JSON array, or null when the cache is empty)."""
    text = (text or '').strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CacheError('buildctl du answered something that is not JSON (%s): %s' % (exc, text[:200]))
    if data is None:
        return []
    if not isinstance(data, list):
        raise CacheError('buildctl du answered JSON that is not a list: %s' % text[:200])
    return [parse_record(item) for item in data]


def summarize(records):
    """Totals the way buildctl/buildx du print them, plus the same per record type."""
    summary = {'total': 0, 'reclaimable': 0, 'shared': 0, 'private': 0, 'records': len(records), 'by_type': {}}
    for rec in records:
        size = max(rec['size'], 0)
        kind = summary['by_type'].setdefault(rec['type'], {'records': 0, 'total': 0, 'reclaimable': 0})
        kind['records'] += 1
        kind['total'] += size
        summary['total'] += size
        if not rec['in_use']:
            kind['reclaimable'] += size
            summary['reclaimable'] += size
        if rec['shared']:
            summary['shared'] += size
    summary['private'] = summary['total'] - summary['shared']
    return summary


def parse_statfs_free(text):
    """Free bytes as BuildKit counts them (f_bfree * f_bsize) from `stat -f -c '%f %s' <dir>`, or None."""
    fields = (text or '').split()
    try:
        return int(fields[0]) * int(fields[1])
    except (IndexError, ValueError):
        return None


def parse_df_free(text):
    """Free bytes from POSIX `df -P -k <dir>` output, or None."""
    lines = [line for line in (text or '').splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    fields = lines[-1].split()
    try:
        return int(fields[3]) * 1024
    except (IndexError, ValueError):
        return None

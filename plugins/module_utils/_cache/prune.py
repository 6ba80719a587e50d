# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pruning a builder's cache: what BuildKit removes (or would remove in check mode), per node.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._cache.du import parse_record
from ansible_collections.buildkit.fleet.plugins.module_utils._cache import state_volumes
from ansible_collections.buildkit.fleet.plugins.module_utils._cache.node_cache import disk_usage, free_bytes
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.times import parse_time
from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import Node, NodeError

INTERNAL_TYPES = ('internal', 'frontend')


def parse_prune(text, types=None):
    """Removed records from `buildctl prune --format '{{json .}}'` (one JSON object a line).

    BuildKit leaves the record type out of prune answers: ``types`` (id -> type, from a du before) fills it in,
    else it is V(unknown).
    """
    types = types or {}
    records = []
    for line in (text or '').splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            record = parse_record(json.loads(line), default_type=None)
        except ValueError as exc:
            raise CacheError('buildctl prune answered a line that is not JSON (%s): %s' % (exc, line[:200]))
        record['type'] = record['type'] or types.get(record['id']) or 'unknown'
        records.append(record)
    return records


def _delete_order(records):
    """BuildKit's GC order (sortDeleteRecords): least recently used and least used first."""
    never = [r for r in records if not r['last_used_at']]
    used = sorted([r for r in records if r['last_used_at']], key=lambda r: parse_time(r['last_used_at']) or 0)
    ordered = never + used
    last_index, latest = 1.0, None
    lu_index = {}
    for rec in ordered:
        stamp = parse_time(rec['last_used_at']) if rec['last_used_at'] else None
        if stamp is not None and (latest is None or stamp > latest):
            latest = stamp
            last_index += 1
        lu_index[rec['id']] = last_index
    uc_index, count, count_max = {}, None, 1.0
    for rec in sorted(ordered, key=lambda r: r['usage_count']):
        if rec['usage_count'] != count:
            count = rec['usage_count']
            count_max += 1
        uc_index[rec['id']] = count_max
    return sorted(ordered, key=lambda r: lu_index[r['id']] / last_index + uc_index[r['id']] / count_max)


def keep_bytes(total, free, opts):
    """BuildKit's calculateKeepBytes: 0 means no size cap."""
    reserved, max_used, min_free = opts['reserved_space'], opts['max_used_space'], opts['min_free_space']
    if not (reserved or max_used or min_free):
        return 0
    keep = max_used
    excess = min_free - (free or 0) if min_free else 0
    if min_free and excess > 0:
        keep = total - excess if keep == 0 else min(keep, total - excess)
    elif min_free and keep == 0:
        keep = total
    return max(keep, reserved)


def estimate_prune(all_records, matching, opts, now, free=None):
    """The records a prune with these options would remove, from du before it (check mode).

    ``all_records`` is the unfiltered du, ``matching`` the du with the same filters (BuildKit matched them),
    ``free`` the free bytes of the cache file system (only needed with min_free_space).
    """
    cutoff = now - opts['keep_duration'] / 1e9 if opts['keep_duration'] else None
    candidates = []
    for rec in matching:
        if rec['in_use']:
            continue
        if not opts['all'] and (rec['type'] in INTERNAL_TYPES or rec['shared']):
            continue
        if cutoff is not None:
            used = parse_time(rec['last_used_at'])
            if used is not None and used > cutoff:
                continue
        candidates.append(rec)
    total = sum(max(r['size'], 0) for r in all_records if not r['shared'])
    keep = keep_bytes(total, free, opts)
    if not keep:
        return candidates
    removed = []
    for rec in _delete_order(candidates):
        if total < keep:
            break
        removed.append(rec)
        total -= max(rec['size'], 0)
    return removed


def min_free_satisfied(opts, free):
    """True when min_free_space already holds and no other limit asks for a prune by size.

    BuildKit then keeps exactly the total (calculateKeepBytes) but still removes one record, because its
    loop stops only below the kept size; the module skips that prune so that a second run changes nothing.
    """
    return bool(opts['min_free_space'] and free is not None and free >= opts['min_free_space']
                and not opts['max_used_space'])


def by_type(records):
    """{type: {records, size}} of removed records."""
    result = {}
    for rec in records:
        entry = result.setdefault(rec['type'], {'records': 0, 'size': 0})
        entry['records'] += 1
        entry['size'] += max(rec['size'], 0)
    return result


def prune_node(node, params, opts, argv, check_mode):
    """Prune one node (or estimate it in check mode); a stopped node is started and stopped again with bootstrap."""
    result = {'name': node['name'], 'endpoint': node['endpoint'], 'status': None, 'reclaimed': 0,
              'records_removed': 0, 'by_type': {}, 'started': False, 'skipped': None}
    access = Node(node, params)
    access.connect()
    status = result['status'] = access.refresh()
    if status == 'inactive':
        result['skipped'] = 'no container %s' % access.container
        return result
    if status == 'stopped':
        if not params['bootstrap']:
            result['skipped'] = 'stopped (bootstrap=false)'
            return result
        if check_mode:
            result['reclaimed'] = None
            result['skipped'] = 'stopped: not started in check mode, so nothing was measured'
            return result
        access.start(params['bootstrap_timeout'])
        result['started'] = True
    try:
        everything = disk_usage(access)
        free = free_bytes(access) if opts['min_free_space'] else None
        if opts['min_free_space'] and free is None:
            raise NodeError('node %s: the free space of the cache file system is unknown (stat and df failed in '
                            'the container), so min_free_space cannot be applied' % node['name'])
        if min_free_satisfied(opts, free):
            removed = []
            result['skipped'] = 'min_free_space holds: %d bytes free' % free
        elif check_mode:
            matching = disk_usage(access, opts['filters']) if opts['filters'] else everything
            removed = estimate_prune(everything, matching, opts, time.time(), free)
        else:
            removed = parse_prune(access.buildctl(*argv), dict((r['id'], r['type']) for r in everything))
    except CacheError as exc:
        raise NodeError('node %s: %s' % (node['name'], exc))
    finally:
        if result['started']:
            access.stop()
    result['records_removed'] = len(removed)
    result['reclaimed'] = sum(max(rec['size'], 0) for rec in removed)
    result['by_type'] = by_type(removed)
    return result


def prune_orphans(client, store, pattern, check_mode):
    """Find the orphaned state volumes and remove them (not in check mode); each says whether and why not."""
    orphans = state_volumes.find_orphans(client, store, pattern)
    for orphan in orphans:
        orphan['removed'], orphan['reason'] = False, None
        if check_mode:
            orphan['reason'] = 'check mode'
            continue
        reason = state_volumes.remove_orphan(client, orphan['name'])
        orphan['removed'], orphan['reason'] = reason is None, reason
    return orphans


def totals(nodes, orphans, check_mode):
    """The result's sums: bytes and records of the cache, bytes of the volumes, and whether anything changed."""
    volumes = [o for o in orphans if o['removed'] or check_mode]
    result = {
        'cache_reclaimed': sum(n['reclaimed'] or 0 for n in nodes),
        'records_removed': sum(n['records_removed'] for n in nodes),
        'volumes_reclaimed': sum(o['size'] or 0 for o in volumes),
    }
    result['reclaimed'] = result['cache_reclaimed'] + result['volumes_reclaimed']
    result['changed'] = bool(result['records_removed'] or volumes)
    return result

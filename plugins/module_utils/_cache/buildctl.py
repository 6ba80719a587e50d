# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The BuildKit build cache as buildctl shows it: du records, prune options, GC policy (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import json
import re
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._common.units import ram_in_bytes

RECORD_TYPES = ('regular', 'source.local', 'source.git.checkout', 'exec.cachemount', 'frontend', 'internal')
# Record types a prune without O(all) never removes (moby/buildkit cache/manager.go pruneOnce).
INTERNAL_TYPES = ('internal', 'frontend')

_DURATION_PART = re.compile(r'(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h|d)')
_DURATION_UNITS = {'ns': 1, 'us': 1000, u'\u00b5s': 1000, u'\u03bcs': 1000, 'ms': 10 ** 6, 's': 10 ** 9,
                   'm': 60 * 10 ** 9, 'h': 3600 * 10 ** 9, 'd': 86400 * 10 ** 9}
_FILTER_RE = re.compile(r'^((id|description|type|parents)(==|!=|~=|=)[^=]|(inuse|mutable|immutable|shared|private)$)')


class CacheError(ValueError):
    """A bad option value or an unreadable buildctl answer; the message names which."""


def parse_size(value, option):
    """Bytes from a size the way buildx parses --max-used-space (go-units RAMInBytes: binary units)."""
    if isinstance(value, bool):
        raise CacheError("%s: invalid size '%s'" % (option, value))
    if isinstance(value, int):
        if value < 0:
            raise CacheError("%s: invalid size '%s': must not be negative" % (option, value))
        return value
    try:
        return ram_in_bytes(value)
    except ValueError as exc:
        raise CacheError("%s: invalid size '%s': %s" % (option, value, exc))


def parse_duration(value, option):
    """Nanoseconds from a Go duration (24h, 1h30m, 90s) or a number of seconds; V(d) for days is accepted too."""
    if isinstance(value, bool):
        raise CacheError("%s: invalid duration '%s'" % (option, value))
    if isinstance(value, (int, float)):
        if value < 0:
            raise CacheError("%s: invalid duration '%s': must not be negative" % (option, value))
        return int(value * 10 ** 9)
    text = str(value).strip()
    if re.match(r'^\d+$', text):
        return int(text) * 10 ** 9
    pos, total = 0, 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if not match:
            raise CacheError("%s: invalid duration '%s': expected a Go duration like 24h, 1h30m, 45m or 7d" % (option, value))
        total += int(float(match.group(1)) * _DURATION_UNITS[match.group(2)])
        pos = match.end()
    if not text:
        raise CacheError("%s: invalid duration '': expected a Go duration like 24h" % option)
    return total


def go_duration(nanoseconds):
    """Go's time.Duration.String() for whole seconds and above; smaller values as ns (buildctl parses both)."""
    if nanoseconds % 10 ** 9:
        return '%dns' % nanoseconds
    seconds = nanoseconds // 10 ** 9
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = ''
    if hours:
        text += '%dh' % hours
    if hours or minutes:
        text += '%dm' % minutes
    return text + '%ds' % seconds


def filter_expressions(filters):
    """The list of BuildKit filter strings for O(filters): one per record type (OR), the rest ANDed into each."""
    filters = filters or {}
    extra = []
    for expr in filters.get('expressions') or []:
        expr = str(expr).strip()
        if not _FILTER_RE.match(expr) or ',' in expr:
            raise CacheError("filters.expressions: invalid filter '%s': use field==value, field!=value or field~=regexp "
                             "with one of id, description, type, parents, or a bare inuse, mutable, immutable, shared, "
                             "private" % expr)
        extra.append(expr)
    types = filters.get('type') or []
    for record_type in types:
        if record_type not in RECORD_TYPES:
            raise CacheError("filters.type: unknown record type '%s' (use one of %s)" % (record_type, ', '.join(RECORD_TYPES)))
    if types:
        return [','.join(['type==' + t] + extra) for t in types]
    return [','.join(extra)] if extra else []


def prune_options(params):
    """Normalised prune options: filters, keep duration (ns), reserved/max/min-free bytes, all."""
    filters = params.get('filters') or {}
    until = filters.get('until')
    opts = {
        'filters': filter_expressions(filters),
        'keep_duration': parse_duration(until, 'filters.until') if until not in (None, '') else 0,
        'reserved_space': 0, 'max_used_space': 0, 'min_free_space': 0,
        'all': bool(params.get('all')),
    }
    for option, key in (('keep_storage', 'reserved_space'), ('max_used_space', 'max_used_space'),
                        ('min_free_space', 'min_free_space')):
        if params.get(option) not in (None, ''):
            opts[key] = parse_size(params[option], option)
    return opts


def _megabytes(nbytes):
    # buildctl takes MB floats and truncates float*1e6; half a byte more keeps the exact byte count.
    return ('%.7f' % ((nbytes + 0.5) / 1e6)).rstrip('0').rstrip('.') if nbytes else '0'


def prune_argv(opts):
    """The `buildctl prune` arguments for normalised options (buildctl's --keep-storage is max-used-space)."""
    argv = ['buildctl', 'prune', '--format', '{{json .}}']
    for expr in opts['filters']:
        argv += ['--filter', expr]
    if opts['keep_duration']:
        argv += ['--keep-duration', go_duration(opts['keep_duration'])]
    for flag, key in (('--keep-storage-min', 'reserved_space'), ('--keep-storage', 'max_used_space'),
                      ('--free-storage', 'min_free_space')):
        if opts[key]:
            argv += [flag, _megabytes(opts[key])]
    if opts['all']:
        argv.append('--all')
    return argv


def du_argv(filters=None):
    argv = ['buildctl', 'du', '--format', '{{json .}}']
    for expr in filters or []:
        argv += ['--filter', expr]
    return argv


def parse_time(text):
    """Seconds since the epoch from an RFC 3339 time with any number of fraction digits, or None."""
    if not text:
        return None
    match = re.match(r'^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$', str(text).strip())
    if not match:
        return None
    year, month, day, hour, minute, second = [int(v) for v in match.groups()[:6]]
    stamp = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) + float(match.group(7) or 0)
    zone = match.group(8)
    if zone and zone != 'Z':
        sign = 1 if zone[0] == '+' else -1
        digits = zone[1:].replace(':', '')
        stamp -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return stamp


def format_time(stamp):
    if stamp is None:
        return None
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(int(stamp)))


def _record(raw, default_type='regular'):
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
    return [_record(item) for item in data]


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
            record = _record(json.loads(line), default_type=None)
        except ValueError as exc:
            raise CacheError('buildctl prune answered a line that is not JSON (%s): %s' % (exc, line[:200]))
        record['type'] = record['type'] or types.get(record['id']) or 'unknown'
        records.append(record)
    return records


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


def parse_gc_policy(policies):
    """GC policy rules from a worker of `buildctl debug workers --format '{{json .}}'`, with plain units."""
    rules = []
    for rule in policies or []:
        reserved = rule.get('reservedSpace', rule.get('keepBytes', 0)) or 0
        rules.append({
            'all': bool(rule.get('all')),
            'filters': list(rule.get('filter') or []),
            'keep_duration': int((rule.get('keepDuration') or 0) // 10 ** 9),
            'reserved_space': int(reserved),
            'max_used_space': int(rule.get('maxUsedSpace') or 0),
            'min_free_space': int(rule.get('minFreeSpace') or 0),
        })
    return rules


def format_platforms(platforms):
    result = []
    for plat in platforms or []:
        text = '/'.join(p for p in (plat.get('os'), plat.get('architecture'), plat.get('variant')) if p)
        if text not in result:
            result.append(text)
    return result


def worker_facts(workers):
    """Platforms, labels, GC policy and version of the first (the only, for docker-container) worker."""
    if not workers:
        return {'platforms': [], 'worker_labels': {}, 'gc_policy': [], 'worker_id': None, 'buildkit_version': None}
    worker = workers[0]
    version = (worker.get('buildkitVersion') or {}).get('version')
    return {
        'worker_id': worker.get('id'),
        'platforms': format_platforms(worker.get('platforms')),
        'worker_labels': dict(worker.get('labels') or {}),
        'gc_policy': parse_gc_policy(worker.get('gcPolicy')),
        'buildkit_version': version,
    }


def parse_debug_info(text):
    try:
        data = json.loads(text or '{}') or {}
    except ValueError:
        return None
    return (data.get('buildkitVersion') or {}).get('version')


def parse_statfs_free(text):
    """Free bytes as BuildKit counts them (f_bfree * f_bsize) from `stat -f -c '%f %s' <dir>`, or None."""
    fields = (text or '').split()
    try:
        return int(fields[0]) * int(fields[1])
    except (IndexError, ValueError):
        return None


def min_free_satisfied(opts, free):
    """True when min_free_space already holds and no other limit asks for a prune by size.

    BuildKit then keeps exactly the total (calculateKeepBytes) but still removes one record, because its
    loop stops only below the kept size; the module skips that prune so that a second run changes nothing.
    """
    return bool(opts['min_free_space'] and free is not None and free >= opts['min_free_space']
                and not opts['max_used_space'])


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

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prune options the way buildx takes them, and the `buildctl prune` command line (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.buildkit.fleet.plugins.module_utils._cache.du import RECORD_TYPES
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.units import parse_size

_DURATION_PART = re.compile(r'(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h|d)')
_DURATION_UNITS = {'ns': 1, 'us': 1000, u'\u00b5s': 1000, u'\u03bcs': 1000, 'ms': 10 ** 6, 's': 10 ** 9,
                   'm': 60 * 10 ** 9, 'h': 3600 * 10 ** 9, 'd': 86400 * 10 ** 9}
_FILTER_RE = re.compile(r'^((id|description|type|parents)(==|!=|~=|=)[^=]|(inuse|mutable|immutable|shared|private)$)')


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
            opts[key] = parse_size(params[option], option, error=CacheError)
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

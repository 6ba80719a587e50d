# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parsing and formatting of binfmt_misc entries (/proc/sys/fs/binfmt_misc/NAME) and register lines.

An entry is a dict: name, type (M magic / E extension), enabled, interpreter, flags (kernel display
order), offset (int), magic and mask (lower-case hex, no escapes) or extension (without the dot).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import re

# Kernel display order of the flags (fs/binfmt_misc.c): P, O, C, F. C implies O.
FLAG_ORDER = 'POCF'
_HEX = re.compile(r'^([0-9a-f]{2})*$')
_NAME = re.compile(r'^[^/:\s]+$')


class EntryError(ValueError):
    """A register line or entry text that cannot be parsed."""


def canonical_flags(flags):
    """Letters from P, O, C, F in kernel order; C adds O as the kernel does. Raises EntryError otherwise."""
    letters = set((flags or '').upper())
    unknown = letters - set(FLAG_ORDER)
    if unknown:
        raise EntryError('unknown flag letters %s (allowed: P, O, C, F)' % ', '.join(sorted(unknown)))
    if 'C' in letters:
        letters.add('O')
    return ''.join(f for f in FLAG_ORDER if f in letters)


def parse_entry(name, text):
    """Parses the text the kernel shows for one handler."""
    entry = {'name': name, 'type': 'M', 'enabled': False, 'interpreter': '', 'flags': '',
             'offset': 0, 'magic': '', 'mask': '', 'extension': ''}
    for line in text.splitlines():
        line = line.strip()
        if line in ('enabled', 'disabled'):
            entry['enabled'] = line == 'enabled'
            continue
        key, _sep, value = line.partition(' ')
        key, value = key.rstrip(':'), value.strip()
        if key == 'interpreter':
            entry['interpreter'] = value
        elif key == 'flags':
            entry['flags'] = value
        elif key == 'offset':
            entry['offset'] = int(value or 0)
        elif key in ('magic', 'mask'):
            entry[key] = value.lower()
        elif key == 'extension':
            entry['type'], entry['extension'] = 'E', value.lstrip('.')
    return entry


def escape_hex(hexstr):
    """'7f45' -> '\\x7f\\x45' (every byte escaped, so ':' in the magic cannot split the line)."""
    return ''.join('\\x' + hexstr[i:i + 2] for i in range(0, len(hexstr), 2))


def _unescape(field, what):
    """A register-line magic/mask field (\\xHH escapes and plain characters) -> lower-case hex."""
    out = bytearray()
    i = 0
    while i < len(field):
        if field[i] == '\\' and field[i + 1:i + 2] == 'x':
            pair = field[i + 2:i + 4]
            if not re.match(r'^[0-9a-fA-F]{2}$', pair):
                raise EntryError('bad escape %r in the %s' % (field[i:i + 4], what))
            out.append(int(pair, 16))
            i += 4
        elif field[i] == '\\' and field[i + 1:i + 2] == '\\':
            out.append(ord('\\'))
            i += 2
        elif field[i] == '\\':
            raise EntryError('bad escape %r in the %s' % (field[i:i + 2], what))
        else:
            out.extend(field[i].encode('latin-1'))
            i += 1
    return binascii.hexlify(bytes(out)).decode('ascii')


def parse_register_line(line):
    """Parses ':name:type:offset:magic:mask:interpreter:flags' (any delimiter, as the kernel allows)."""
    line = line.strip()
    if len(line) < 2:
        raise EntryError('empty register line')
    delim = line[0]
    fields = line[1:].split(delim)
    if len(fields) < 7:
        raise EntryError('a register line has 7 fields after the delimiter, got %d: %r' % (len(fields), line))
    name, kind, offset, magic, mask, interpreter, flags = fields[:7]
    if not _NAME.match(name) or name in ('.', '..', 'register', 'status'):
        raise EntryError('bad handler name %r' % name)
    if kind not in ('M', 'E'):
        raise EntryError('type must be M or E, got %r' % kind)
    if not interpreter:
        raise EntryError('no interpreter in %r' % line)
    entry = {'name': name, 'type': kind, 'enabled': True, 'interpreter': interpreter,
             'flags': canonical_flags(flags), 'offset': 0, 'magic': '', 'mask': '', 'extension': ''}
    if kind == 'E':
        entry['extension'] = magic
        return entry
    try:
        entry['offset'] = int(offset or 0)
    except ValueError:
        raise EntryError('offset must be a number, got %r' % offset)
    entry['magic'] = _unescape(magic, 'magic')
    entry['mask'] = _unescape(mask, 'mask') if mask else ''
    if not entry['magic']:
        raise EntryError('empty magic in %r' % line)
    if entry['mask'] and len(entry['mask']) != len(entry['magic']):
        raise EntryError('mask and magic differ in length in %r' % line)
    return entry


def register_line(entry):
    """The line to write to /proc/sys/fs/binfmt_misc/register for an entry dict."""
    flags = canonical_flags(entry.get('flags', ''))
    if entry.get('type', 'M') == 'E':
        return ':%s:E::%s::%s:%s' % (entry['name'], entry['extension'], entry['interpreter'], flags)
    for key in ('magic', 'mask'):
        if not _HEX.match(entry.get(key) or ''):
            raise EntryError('%s of %s is not hex: %r' % (key, entry['name'], entry.get(key)))
    return ':%s:M:%d:%s:%s:%s:%s' % (entry['name'], int(entry.get('offset') or 0), escape_hex(entry['magic']),
                                     escape_hex(entry.get('mask') or ''), entry['interpreter'], flags)


def entry_text(entry):
    """The entry as the kernel shows it (for diffs)."""
    if entry is None:
        return ''
    lines = ['enabled' if entry.get('enabled') else 'disabled', 'interpreter %s' % entry['interpreter'],
             'flags: %s' % entry['flags']]
    if entry.get('type', 'M') == 'E':
        lines.append('extension .%s' % entry['extension'])
    else:
        lines += ['offset %d' % int(entry.get('offset') or 0), 'magic %s' % entry['magic']]
        if entry.get('mask'):
            lines.append('mask %s' % entry['mask'])
    return '\n'.join(lines) + '\n'


def same_fields(one, other):
    """True when two entries have the same type, interpreter, offset, magic, mask, extension and flags."""
    if one is None or other is None:
        return False
    keys = ('type', 'interpreter', 'offset', 'magic', 'mask', 'extension')
    return all((one.get(k) or 0) == (other.get(k) or 0) for k in keys) \
        and canonical_flags(one.get('flags')) == canonical_flags(other.get('flags'))


def same_handler(current, desired):
    """True when the kernel entry already is the desired handler (enabled, same fields)."""
    return current is not None and bool(current.get('enabled')) and same_fields(current, desired)

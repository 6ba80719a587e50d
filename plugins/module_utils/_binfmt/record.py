# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Record of the handlers this module registered and the exact entries they replaced, so `absent` can
restore them. {"handlers": {name: null (nothing was there) | entry fields}}; fields are stored parsed
(hex), never as an escaped line. Records of the older qemu role ({"line": ..., "enabled": ...}) are read too."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import EntryError, parse_register_line

FIELDS = ('name', 'type', 'enabled', 'interpreter', 'flags', 'offset', 'magic', 'mask', 'extension')


def load(path):
    """Returns (handlers dict, warnings). A missing file is an empty record."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (IOError, OSError):
        return {}, []
    except ValueError as exc:
        raise EntryError('record_file %s is not JSON (%s); fix or remove it' % (path, exc))
    handlers, warnings = {}, []
    for name, prev in (data.get('handlers') or {}).items():
        if prev is None or 'magic' in prev or 'extension' in prev:
            handlers[name] = prev
            continue
        try:  # the older qemu role's record
            entry = parse_register_line(prev.get('line', ''))
            entry['enabled'] = bool(prev.get('enabled', True))
            handlers[name] = entry
        except EntryError as exc:
            handlers[name] = {'unreadable': prev.get('line'), 'error': str(exc)}
            warnings.append('record_file %s: the entry that %s replaced cannot be restored (%s); it was written '
                            'by an older release that lost the hex escapes' % (path, name, exc))
    return handlers, warnings


def snapshot(entry):
    return None if entry is None else dict((k, entry.get(k)) for k in FIELDS)


def save(path, handlers):
    """Writes the record atomically, or removes it when it is empty."""
    if not handlers:
        if os.path.exists(path):
            os.unlink(path)
        return
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump({'handlers': handlers}, handle, indent=2, sort_keys=True)
        handle.write('\n')
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)

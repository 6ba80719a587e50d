# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare the kernel and the binfmt.d files with what is wanted, and decide every step (pure).

Kernel actions: none, register (nothing there), replace (a different entry there), unregister
(absent, nothing was there before), restore (absent, put back the recorded entry).
File actions: none, write, remove."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt import persist
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import same_fields, same_handler
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.record import snapshot


def plan_present(desired, current, files, record):
    """desired: entry dicts; current/files: name -> kernel entry / file text (or None); record: name -> prev.
    Returns (steps, new record)."""
    steps, new_record = [], dict(record)
    for want in desired:
        name = want['name']
        have = current.get(name)
        action = 'none' if same_handler(have, want) else ('register' if have is None else 'replace')
        if action != 'none' and name not in new_record:
            new_record[name] = snapshot(have)  # what absent puts back; kept from the first replacement on
        text = persist.content(want)
        steps.append({'name': name, 'platforms': want.get('platforms', []), 'action': action, 'before': have,
                      'after': want, 'file_action': 'none' if files.get(name) == text else 'write',
                      'file_content': text, 'file_before': files.get(name)})
    return steps, new_record


def plan_absent(names, current, files, record):
    """Undo only what the record says this module registered; remove only files it wrote."""
    steps, new_record = [], dict(record)
    for name in names:
        have = current.get(name)
        action = 'none'
        if name in record:
            prev = record[name]
            if prev is None:
                action = 'unregister' if have is not None else 'none'
            elif 'unreadable' in prev:
                action = 'unregister' if have is not None else 'none'
            else:
                action = 'none' if same_fields(have, prev) and have.get('enabled') == prev.get('enabled') else 'restore'
            del new_record[name]
        text = files.get(name)
        steps.append({'name': name, 'platforms': [], 'action': action, 'before': have,
                      'after': record.get(name) if action == 'restore' else (None if action == 'unregister' else have),
                      'file_action': 'remove' if persist.ours(text) else 'none', 'file_content': None,
                      'file_before': text})
    return steps, new_record


def changed(steps, record, new_record):
    return any(s['action'] != 'none' or s['file_action'] != 'none' for s in steps) or record != new_record

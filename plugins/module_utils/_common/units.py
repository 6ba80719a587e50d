# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sizes the way Docker and buildx read them (go-units RAMInBytes, binary units; pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError

_SIZE_RE = re.compile(r'^(\d+(?:\.\d+)?) ?([a-zA-Z]*)$')
_UNITS = {'': 1, 'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30, 't': 1 << 40, 'p': 1 << 50}


def ram_in_bytes(text):
    """Bytes from 4g, 512MiB, 1.5g or 1024; raises ValueError saying what is wrong."""
    match = _SIZE_RE.match(str(text).strip())
    if not match:
        raise ValueError('expected a number with an optional unit, like 4g, 512MiB or 1.5g')
    number, suffix = match.groups()
    unit = suffix.lower()
    if unit.endswith('ib'):
        unit = unit[:-2]
    elif unit.endswith('b'):
        unit = unit[:-1]
    if len(suffix) > 3 or unit not in _UNITS:
        raise ValueError("unknown unit '%s' (use b, k, m, g, t or p, optionally followed by b or ib)" % suffix)
    return int(float(number) * _UNITS[unit])


def parse_size(value, option, allow_unlimited=False, error=SpecError):
    """Bytes from a size option (an int, or text like 4g, 512MiB, 1.5g); V(-1) only with allow_unlimited.

    Raises ``error`` (a SpecError) naming the option and the value."""
    if isinstance(value, bool):
        raise error("%s: invalid size '%s'" % (option, value))
    if allow_unlimited and str(value).strip() == '-1':
        return -1
    if isinstance(value, int):
        if value < 0:
            raise error("%s: invalid size '%s': must not be negative" % (option, value))
        return value
    try:
        return ram_in_bytes(value)
    except ValueError as exc:
        raise error("%s: invalid size '%s': %s" % (option, value, exc))

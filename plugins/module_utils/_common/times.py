# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 3339 times as Docker, BuildKit and buildx write them (any number of fraction digits; pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import re
import time

_RFC3339_RE = re.compile(r'^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$')


def parse_time_ns(text):
    """Exact nanoseconds since the epoch (an int) from an RFC 3339 time, or None."""
    match = _RFC3339_RE.match(str(text or '').strip())
    if not match:
        return None
    year, month, day, hour, minute, second = [int(v) for v in match.groups()[:6]]
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    zone = match.group(8)
    if zone and zone != 'Z':
        sign = 1 if zone[0] == '+' else -1
        digits = zone[1:].replace(':', '')
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds * 10 ** 9 + int(((match.group(7) or '') + '000000000')[:9])


def parse_time(text):
    """Seconds since the epoch (a float) from an RFC 3339 time, or None."""
    stamp = parse_time_ns(text)
    return None if stamp is None else stamp / 1e9


def format_time(stamp):
    """UTC RFC 3339 text, whole seconds, of seconds since the epoch (None stays None)."""
    if stamp is None:
        return None
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(int(stamp)))


def now_text():
    """The current time as buildx writes it into its activity files."""
    return format_time(time.time())

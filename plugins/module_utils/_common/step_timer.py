# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seconds spent in each step of a run: the `timings` of the build and bake results.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time


class StepTimer(object):
    """`step(name)` adds the time since the previous step (or the start) to `spent[name]`."""

    def __init__(self, clock=time.monotonic):
        self.spent = {}
        self._clock = clock
        self._mark = clock()

    def step(self, name):
        now = self._clock()
        self.spent[name] = round(self.spent.get(name, 0) + now - self._mark, 3)
        self._mark = now

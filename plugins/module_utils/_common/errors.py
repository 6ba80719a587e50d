# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors shared by every package.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class SpecError(ValueError):
    """A bad input; the message names the option and the value."""


class CacheError(SpecError):
    """A bad cache option value or an unreadable buildctl answer; the message names which."""


class TaskFailed(Exception):
    """The task cannot do its work (daemon unreachable, build failed, lock not had); `details` go into the result."""

    def __init__(self, msg, **details):
        super(TaskFailed, self).__init__(msg)
        self.msg, self.details = msg, details

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Builders: spec, driver options, node plan and node access, compare, Docker operations, reconcile, facts.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

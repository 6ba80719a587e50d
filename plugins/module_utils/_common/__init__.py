# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers: Docker client, buildx store, errors, sizes, times, platforms.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

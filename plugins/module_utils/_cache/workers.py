# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Moved to _node.workers (node access lives below _builder and _cache); kept for callers not yet moved.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._node.workers import (  # noqa: F401 pylint: disable=unused-import
    INFO_ARGV, WORKERS_ARGV, buildkit_version, detected_platforms, parse_debug_info, parse_workers, worker_facts)

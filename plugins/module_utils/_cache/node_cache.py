# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One node's build cache, asked through the node access: disk usage records and free space.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._cache import du
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import APIError, DockerException
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError
from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import NodeError
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import STATE_DIR


def disk_usage(node, filters=None):
    """The cache records of a running node (buildctl du), optionally filtered; NodeError names the node."""
    try:
        return du.parse_du(node.buildctl(*du.du_argv(filters)))
    except CacheError as exc:
        raise NodeError('node %s: %s' % (node.name, exc))


def free_bytes(node):
    """Free bytes of the cache file system as BuildKit counts them (statfs), else df's available, else None."""
    for argv, parse in ((['stat', '-f', '-c', '%f %s', STATE_DIR], du.parse_statfs_free),
                        (['df', '-P', '-k', STATE_DIR], du.parse_df_free)):
        try:
            code, out, _err = node.exec(argv)
        except (APIError, DockerException):
            continue
        free = parse(out) if code == 0 else None
        if free is not None:
            return free
    return None

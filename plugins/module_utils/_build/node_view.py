# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A view of a builder that names only the chosen nodes, in a private buildx store (BUILDX_CONFIG).

The view's store entry has the builder's name and driver and copies of the chosen nodes' entries as the user's
store holds them (endpoint, driver options, flags, buildkitd config files), their platforms narrowed to the
platforms placed on them. buildx then uses those nodes as they are: a docker-container node's existing
container (`buildx_buildkit_<node>`) is reused, not restarted or re-created; a remote node is dialled with the
same options. Nodes running on the local daemon may instead be named with the remote driver at their
buildkitd sockets (direct_route): the same buildkitd, reached without buildx's `docker exec`. The user's store is
only read; the view lives in the module's temporary directory.

The view carries the user's `.buildNodeID`, so BuildKit's incremental context transfer (keyed by it) keeps
working across builds as with plain buildx.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import hashlib
import json
import os

from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import go_json
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import normalize_platform

NODE_ID_FILE = '.buildNodeID'
REMOTE = 'remote'
REMOTE_OPTS = ('default-load',)


def view_entry(raw, assignments, sockets=None):
    """The view's store entry (bytes) from the user's entry (bytes) and [(node name, platforms or None)].

    Platforms None keeps the node's stored platforms (a build without O(platforms)). `sockets` ({node name:
    buildkitd socket path} of every assigned node): the nodes are named with the remote driver at those sockets
    (direct_route), keeping their names, platforms and default-load."""
    group = json.loads(raw.decode('utf-8') if isinstance(raw, bytes) else raw)
    stored = dict((n.get('Name'), n) for n in group.get('Nodes') or [])
    nodes = []
    for name, platforms in assignments:
        node = copy.deepcopy(stored[name])
        if platforms:
            node['Platforms'] = [normalize_platform(p) for p in platforms]
        nodes.append(_at_socket(node, sockets[name]) if sockets else node)
    return go_json({'Name': group.get('Name'), 'Driver': REMOTE if sockets else group.get('Driver'), 'Nodes': nodes,
                    'Dynamic': bool(group.get('Dynamic'))})


def _at_socket(node, path):
    """A node entry for the remote driver at buildkitd's socket `path`: buildkitd's flags and config files are
    those the running container already has (the remote driver takes none); default-load is the one driver
    option both drivers share."""
    opts = dict((k, v) for k, v in (node.get('DriverOpts') or {}).items() if k in REMOTE_OPTS)
    return dict(node, Endpoint='unix://' + path, DriverOpts=opts or None, Flags=None, Files=None)


def _node_id(user_root):
    """The user's buildx node id (read, never written), or one derived from the store's path."""
    try:
        with open(os.path.join(user_root, NODE_ID_FILE)) as handle:
            found = handle.read().strip()
            if found:
                return found
    except (IOError, OSError):
        pass
    return hashlib.sha256(os.path.realpath(user_root).encode('utf-8')).hexdigest()[:32]


def write_view(directory, user_root, builder, raw, assignments, sockets=None):
    """Write the view store in `directory` (made here, mode 0700); returns it (the BUILDX_CONFIG to use).
    `sockets`: see view_entry."""
    instances = os.path.join(directory, 'instances')
    os.makedirs(instances, 0o700)
    for sub in ('activity', 'refs'):
        os.mkdir(os.path.join(directory, sub), 0o700)
    with open(os.path.join(instances, builder.lower()), 'wb') as handle:
        handle.write(view_entry(raw, assignments, sockets))
    with open(os.path.join(directory, NODE_ID_FILE), 'w') as handle:
        handle.write(_node_id(user_root))
    return directory

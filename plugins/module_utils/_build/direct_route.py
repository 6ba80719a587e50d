# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A build's route straight to buildkitd's socket, for nodes running on the local daemon.

buildx reaches a docker-container node through `docker exec <container> buildctl dial-stdio`: a process in the
container for every build (about 45 ms). On a local daemon, the node's buildkitd socket is reachable as
/proc/<pid>/root/run/buildkit/buildkitd.sock (_node.liveness), so a view naming the node with the remote driver
at that socket (node_view) gives buildx the same buildkitd without the exec. Nothing else changes for the build:
the node names (build refs, the context's shared key), platforms and default-load are the node's, and `--load`
goes to the Docker endpoint of the build's environment, as with the docker-container driver.

The route is taken only when every node of the build runs on a daemon of this host (a unix:// endpoint) and its
buildkitd answers; any other node (another host's endpoint or a docker context, stopped, missing, not answering,
a process this user cannot reach) keeps the docker-container route, where buildx boots a stopped node as before.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import tempfile
from urllib.parse import quote

from ansible_collections.buildkit.fleet.plugins.module_utils._build import node_view
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore
from ansible_collections.buildkit.fleet.plugins.module_utils._common.local_docker import LocalUnavailable, request
from ansible_collections.buildkit.fleet.plugins.module_utils._node.liveness import serves, serving_socket
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import container_name

DOCKER_CONTAINER = 'docker-container'
ASK_TIMEOUT = 5


def _inspect(path, name):
    """The container's inspect answer from the daemon on the unix socket `path`, or None."""
    try:
        status, _headers, body = request(path, 'GET', '/containers/%s/json' % quote(name), ASK_TIMEOUT)
        found = json.loads(body.decode('utf-8', 'replace')) if status == 200 else None
    except (LocalUnavailable, OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def node_sockets(stored, names):
    """{node name: buildkitd socket} when the stored builder is docker-container and every named node runs on a
    local daemon (a unix:// endpoint) with its buildkitd answering on its socket, else None."""
    if stored.get('driver') != DOCKER_CONTAINER or not names:
        return None
    by_name = dict((n['name'], n) for n in stored.get('nodes') or [])
    found = {}
    for name in names:
        endpoint = (by_name.get(name) or {}).get('endpoint') or ''
        if not endpoint.startswith('unix://'):
            return None  # another host's daemon (tcp://, ssh://) or a docker context: buildx's route
        path = serving_socket(_inspect(endpoint[len('unix://'):], container_name(name)))
        if path is None:
            return None
        found[name] = path
    return found


def build_store(tmpdir, user_root, builder, stored, chosen, direct=True):
    """(the BUILDX_CONFIG a build runs with, or None for the user's own store; the sockets of its direct route,
    or None).

    `chosen`: [(node name, platforms or None)] that placement chose, or None when buildx chooses among all the
    builder's nodes; `direct` False keeps buildx's route (after a direct build failed on a node that stopped)."""
    nodes = chosen if chosen is not None else [(n['name'], None) for n in stored.get('nodes') or []]
    sockets = node_sockets(stored, [name for name, _platforms in nodes]) if direct else None
    if chosen is None and not sockets:
        return None, None
    if chosen is None:  # buildx would have built on the user's store, marking the builder's last activity
        _touch_activity(user_root, stored.get('name') or builder)
    directory = os.path.join(tempfile.mkdtemp(prefix='view-', dir=tmpdir), 'store')
    return node_view.write_view(directory, user_root, builder, stored['raw'], nodes, sockets), sockets


def _touch_activity(user_root, name):
    """Write the builder's last activity into the user's store as buildx does when a build starts (under the
    store's lock); a store that cannot be written does not stop the build."""
    store = BuildxStore(user_root)
    try:
        with store.locked():
            store.touch_activity(name)
    except (IOError, OSError):
        pass


def still_serving(sockets):
    """Whether every socket of a direct route still answers (after a failed build: a node that stopped or
    restarted meanwhile is built on again through the docker-container route)."""
    return all(serves(path) for path in sockets.values())

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Access to builder nodes on their Docker endpoints: connect, container status, buildctl, start and stop.

What buildx keeps in builder/node.go; below _builder and _cache, which both reach nodes through it.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import (
    DockerConnectionError, connect, endpoint_params)
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platforms
from ansible_collections.buildkit.fleet.plugins.module_utils._node import workers as wk
from ansible_collections.buildkit.fleet.plugins.module_utils._node.container import (
    BuilderError, VolumeDataGone, container_status, exec_run, inspect_container, start_container, wait_ready)
from ansible_collections.buildkit.fleet.plugins.module_utils._node.liveness import WorkersMemo
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import DRIVER, container_name, volume_name

EXEC_TIMEOUT = '10'


class NodeError(Exception):
    """A node cannot be used for this request; the message names the node."""


def connect_endpoints(endpoints, params, local_first=False):
    """A client per node name, reaching every endpoint before anything changes; NodeError names the node.
    `local_first`: see docker_client.connect."""
    clients = {}
    for node_name, (endpoint, overrides) in endpoints.items():
        try:
            clients[node_name] = connect(endpoint_params(endpoint, params, overrides), local_first)
        except DockerConnectionError as exc:
            raise NodeError('node %s (endpoint %s): %s' % (node_name, endpoint, exc))
    return clients


class Node(object):
    """One node of a builder on its own Docker endpoint."""

    def __init__(self, node, params):
        self.node = node
        self.params = params
        self.name = node['name']
        self.container = container_name(self.name)
        self.volume = volume_name(self.name)
        self.client = None
        self.inspect = None

    def connect(self):
        try:
            self.client = connect(endpoint_params(self.node['endpoint'] or '', self.params))
        except DockerConnectionError as exc:
            raise NodeError('node %s (endpoint %s): %s' % (self.name, self.node['endpoint'], exc))
        return self.client

    def refresh(self):
        self.inspect = inspect_container(self.client, self.container)
        return container_status(self.inspect)

    def buildctl(self, *args):
        """Run buildctl in the container; (stdout) or raise NodeError with the stderr."""
        argv = list(args)
        argv[1:1] = ['--timeout', EXEC_TIMEOUT]
        try:
            code, out, err = exec_run(self.client, self.container, argv)
        except (dc.APIError, dc.DockerException) as exc:
            raise NodeError('node %s: %s failed: %s' % (self.name, ' '.join(args[:3]), getattr(exc, 'explanation', None) or exc))
        if code != 0:
            raise NodeError('node %s: %s exited with %s: %s' % (self.name, ' '.join(args[:3]), code, (err or out).strip()[-500:]))
        return out

    def exec(self, argv):
        """(exit code, stdout, stderr) of a command in the container."""
        return exec_run(self.client, self.container, argv)

    def start(self, timeout):
        """Start a stopped container (start_container, the one way) and wait until buildkitd answers; returns the
        workers. A state volume whose data directory is gone is not repaired here (that is buildkit_builder's
        converge, which knows the container to re-create): NodeError says so."""
        try:
            start_container(self.client, self.container, self.volume)
        except VolumeDataGone as exc:
            raise NodeError('node %s: %s' % (self.name, exc))
        except dc.APIError as exc:
            raise NodeError('node %s: starting %s failed: %s' % (self.name, self.container, exc.explanation or exc))
        return self.ready(timeout, just_started=True)

    def stop(self):
        try:
            self.client.stop(self.container)
        except dc.APIError as exc:
            raise NodeError('node %s: stopping %s failed: %s' % (self.name, self.container, exc.explanation or exc))

    def ready(self, timeout, just_started=False):
        """The workers once buildkitd answers (wait_ready), this container's own."""
        try:
            return wait_ready(self.client, self.container, timeout, just_started, own=True)
        except (BuilderError, dc.APIError, CacheError) as exc:
            raise NodeError('node %s: %s' % (self.name, exc))

    def workers(self, own=True):
        """The workers of the running node: remembered while a local buildkitd serves unchanged (_node.liveness),
        else asked with `buildctl debug workers`. `own=False`: those of its make will do (platforms, version and
        GC policy without the worker's id and labels)."""
        memo = WorkersMemo()
        known = memo.recall(self.client, self.inspect, own) if self.inspect else None
        if known:
            return known
        try:
            found = wk.parse_workers(self.buildctl(*wk.WORKERS_ARGV))
        except CacheError as exc:
            raise NodeError('node %s: %s' % (self.name, exc))
        memo.remember(self.client, self.inspect, found)
        return found

    def version(self):
        return wk.parse_debug_info(self.buildctl(*wk.INFO_ARGV))


def builder_platforms(group, params):
    """Platforms of a stored builder, node by node: the fixed ones (store), then what each running
    docker-container node's workers report. A node that cannot be asked adds only its fixed platforms."""
    found = []
    for node in (group or {}).get('nodes') or []:
        texts = format_platforms(node.get('platforms'))
        if group.get('driver') == DRIVER:
            access = Node(node, params)
            try:
                access.connect()
                if access.refresh() == 'running':
                    texts += wk.detected_platforms(access.workers(own=False))
            except (NodeError, dc.APIError, dc.DockerException):
                pass
        found.extend(text for text in texts if text not in found)
    return found

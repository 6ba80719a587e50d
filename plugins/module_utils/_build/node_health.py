# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Health of the nodes placement may choose: asked in parallel, each within a bound.

A docker-container node is healthy when its endpoint answers, its container runs and its buildkitd answers
`buildctl debug workers` (the workers give the platforms it serves); a stopped container or a missing one is
`stopped` / `inactive` (buildx could boot it, placement skips it while another node is healthy). A remote node
is asked with `buildx inspect` through a one-node view of it. Whatever does not answer within the bound is
`no answer within <bound>s`. Nothing is started, created or changed.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import threading
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._build.placement import HEALTHY

DOCKER_CONTAINER, REMOTE = 'docker-container', 'remote'
PLACEABLE_DRIVERS = (DOCKER_CONTAINER, REMOTE)
_STATUS_RE = re.compile(r'^Status:\s+(\S+)', re.M)
_PLATFORMS_RE = re.compile(r'^Platforms:\s+(.*)$', re.M)


def _short(exc):
    return (str(exc).strip().splitlines() or [''])[0][:300]


def probe_container(node, params):
    """(state, reported platforms or None) of a docker-container node."""
    # imported here: the Docker SDK (or the local client) is only needed when a pool has to be asked
    from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
    from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import Node, NodeError
    from ansible_collections.buildkit.fleet.plugins.module_utils._node.workers import detected_platforms
    access = Node(node, params)
    try:  # a local socket is asked without loading the Docker SDK (local_first), as the builder's converge does
        access.client = dc.connect(dc.endpoint_params(node['endpoint'] or '', params), local_first=True)
    except dc.DockerConnectionError as exc:
        return 'unreachable: node %s (endpoint %s): %s' % (node['name'], node['endpoint'], _short(exc)), None
    try:
        status = access.refresh()
        if status != 'running':
            return status, None
        return HEALTHY, detected_platforms(access.workers(own=False))
    except NodeError as exc:
        return 'not answering: %s' % _short(exc), None
    except (dc.APIError, dc.DockerException, OSError) as exc:
        return 'unreachable: %s' % _short(exc), None


def parse_inspect(text):
    """(status, platforms) from `buildx inspect` text of a one-node builder."""
    status = _STATUS_RE.search(text or '')
    found = _PLATFORMS_RE.search(text or '')
    platforms = [p.strip().rstrip('*') for p in found.group(1).split(',') if p.strip()] if found else []
    return (status.group(1) if status else None), platforms


def probe_remote(run_view_inspect, bound):
    """(state, platforms) of a node of another driver, from `buildx inspect` through a view of that node only.

    run_view_inspect(timeout) returns (rc or None, stdout, stderr)."""
    code, out, err = run_view_inspect(bound)
    if code is None:
        return 'no answer within %ss' % bound, None
    status, platforms = parse_inspect(out)
    if code != 0 or status != 'running':
        detail = (err or out or '').strip().splitlines()
        return 'not answering: %s' % (status or (detail[-1] if detail else 'buildx inspect exit code %s' % code)), None
    return HEALTHY, platforms


def probe_all(probes, bound):
    """{name: (state, platforms)} of `probes` ({name: callable() -> (state, platforms)}), run in parallel;
    those not done within `bound` seconds are `no answer within <bound>s`."""
    found = {}

    def run(name, probe):
        try:
            found[name] = probe()
        except Exception as exc:  # a probe must never fail the build: the node is just not usable
            found[name] = ('unreachable: %s' % _short(exc), None)
    threads = []
    for name, probe in sorted(probes.items()):
        thread = threading.Thread(target=run, args=(name, probe))
        thread.daemon = True  # a node that hangs must not keep the module alive
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + bound
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return dict((name, found.get(name) or ('no answer within %ss' % bound, None)) for name in probes)


def prober(stored, params, bound, view_inspect):
    """probe(names) -> {name: (state, platforms)} for the nodes of the stored builder `stored`.

    view_inspect(name, timeout) runs `buildx inspect` through a view of that one node (drivers other than
    docker-container)."""
    by_name = dict((n['name'], n) for n in stored.get('nodes') or [])

    def probe(names):
        probes = {}
        for name in names:
            if stored.get('driver') == DOCKER_CONTAINER:
                probes[name] = _bind(probe_container, by_name[name], params)
            else:
                probes[name] = _bind(probe_remote, _bind(view_inspect, name), bound)
        return probe_all(probes, bound)
    return probe


def _bind(func, *args):
    return lambda *more: func(*(args + more))

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Placement of a build's platforms on the nodes of a builder: pools, rendezvous hashing, failover (pure).

- The **pool** of a platform is the set of nodes that serve it. A node that declares platforms in the buildx
  store serves exactly those. When no node declares the platform, the nodes without declared platforms serve
  what their BuildKit workers report: those that run it natively (the first platform a worker reports is its
  native one) if any, else those that run it at all (through QEMU). A node that did not answer (its platforms
  are unknown) stays a candidate of such a pool, so that the failover away from it is visible.
- The **order** of a pool is rendezvous (highest-random-weight) hashing: every node gets the weight
  sha256(key, node name) and the heaviest comes first. The key is the builder, the build's identity (context
  location, Dockerfile path, target; not the content) and the platform. The same build gets the same order
  every time; different builds spread evenly; adding or removing a node moves only the builds that now hash
  to it (or hashed to it).
- **Choice**: the first healthy node in that order; unhealthy nodes before it are the failover. When no node
  is healthy, the first that can be booted (stopped, or its container missing) takes the build, as buildx
  would boot it.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

# node states (what the health check found); only HEALTHY takes a build unless no node is healthy
HEALTHY = 'healthy'
BOOTABLE = ('stopped', 'inactive')  # buildx boots these (start, or create the container)

AFFINITY, FAILOVER, ONLY_NODE, BOOT = 'affinity', 'failover', 'only node', 'boot'


def identity(context, dockerfile, target):
    """The build's identity: where its sources are, not what they hold (a changed file keeps the identity)."""
    return '\n'.join([context or '', dockerfile or '', target or ''])


def placement_key(builder, build_identity, platform):
    return '\n'.join([(builder or '').lower(), build_identity, platform or ''])


def weight(key, node):
    """The rendezvous weight of a node for a key: the first 16 hex digits of sha256(key, node) as an int."""
    digest = hashlib.sha256(('%s\x00%s' % (key, node)).encode('utf-8')).hexdigest()
    return int(digest[:16], 16)


def order(key, nodes):
    """Node names by falling weight for the key (ties, practically impossible, by name)."""
    return sorted(nodes, key=lambda node: (-weight(key, node), node))


def _os_arch(platform):
    return '/'.join(platform.split('/')[:2])


def serves(reported, platform):
    """Whether a worker's reported platforms include the platform (or, for one without a variant, its arch)."""
    if platform.count('/') > 1:  # a variant asks for that variant
        return platform in (reported or [])
    return any(_os_arch(p) == platform for p in reported or [])


def native(reported, platform):
    """Whether the platform is the native one of a node whose workers report `reported` (native first)."""
    return bool(reported) and _os_arch(reported[0]) == _os_arch(platform)


def pool(nodes, platform, reported):
    """(node names serving the platform, in store order; how they were found).

    nodes: [{'name', 'platforms': [declared platform texts]}]; reported: {name: [reported platform texts]},
    a node missing from it (or None) did not answer. How: 'declared', 'native', 'emulated' or 'none'."""
    declared = [n['name'] for n in nodes if platform in (n.get('platforms') or [])]
    if declared:
        return declared, 'declared'
    free = [n['name'] for n in nodes if not n.get('platforms')]
    unknown = [name for name in free if reported.get(name) is None]
    native_nodes = [name for name in free if reported.get(name) is not None and native(reported[name], platform)
                    and serves(reported[name], platform)]
    if native_nodes:
        return [name for name in free if name in native_nodes or name in unknown], 'native'
    emulated = [name for name in free if reported.get(name) is not None and serves(reported[name], platform)]
    if emulated:
        return [name for name in free if name in emulated or name in unknown], 'emulated'
    if unknown:
        return unknown, 'native'
    return [], 'none'


def choose(ordered, health):
    """(chosen node or None, reason, skipped) for a pool in hash order.

    health: {node: state}; a state is HEALTHY, one of BOOTABLE, or a text saying why the node cannot build.
    skipped: [{'node', 'state'}] of the nodes before the chosen one. Reasons: 'only node', 'affinity',
    'failover' (an earlier node was skipped), 'boot' (no node is healthy; the chosen one is booted)."""
    if not ordered:
        return None, None, []
    skipped = []
    for node in ordered:
        if health.get(node) == HEALTHY:
            reason = ONLY_NODE if len(ordered) == 1 else (FAILOVER if skipped else AFFINITY)
            return node, reason, skipped
        skipped.append({'node': node, 'state': health.get(node) or 'unknown'})
    for index, node in enumerate(ordered):
        if health.get(node) in BOOTABLE:
            return node, BOOT, skipped[:index]
    return None, None, skipped


def combined_platform(platforms):
    """The key platform of builds placed as a whole (every platform on one node)."""
    return ','.join(sorted(platforms))

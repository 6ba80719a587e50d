# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The placement options of buildkit_build and buildkit_bake (buildkit.fleet._placement).

    The argument spec is PLACEMENT_ARGS in plugins/module_utils/_common/module_args.py.

    Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
    """

    # Both modules extend it; the text names the module where they differ (O() may only name options both have).
    DOCUMENTATION = r'''
options:
  placement:
    description:
      - How the node of each platform of a build is chosen when more than one node of the builder serves that
        platform (a pool). For M(buildkit.fleet.buildkit_bake), each stale target is such a build.
      - V(affinity) - rendezvous (highest-random-weight) hashing of the builder name, the build's identity and the
        platform over the nodes of the pool. The identity is the context location and the Dockerfile path, with
        the build stage (C(target) of M(buildkit.fleet.buildkit_build)) or the bake target name; not the file
        contents, so a changed file stays on the node whose cache is warm. The same build lands on the same node
        every time, different builds spread over the pool, and adding or removing a node moves only the builds
        that hash to it. A chosen node that is stopped, unreachable or does not answer within
        O(placement_timeout) is skipped and the next node in hash order takes the build; a build that fails
        because its node went away meanwhile is run again on the next node.
      - The build runs through a view of the builder that names only the chosen nodes, in a private buildx store in
        the module's temporary directory (their containers are reused as they are); the user's buildx store and
        the builder are not changed.
      - M(buildkit.fleet.buildkit_bake) groups the stale targets by their chosen nodes and builds each group with
        one C(bake) call (the calls run in parallel). Targets that use each other through C(target:) contexts are
        built in the same call (bake builds the dependency inside its dependent's build), placed by the target no
        other target of the group uses.
      - V(buildx) - buildx chooses, as before version 0.2.0 - the first node that supports the platform (for
        M(buildkit.fleet.buildkit_bake), in one C(bake) call for all stale targets), and the build fails when that
        node is down.
      - A node that declares platforms in the buildx store serves exactly those; when no node declares a platform,
        the nodes without declared platforms serve what their BuildKit workers report - natively if any node
        runs it natively, else through QEMU.
      - Where every platform has one node (a builder with one node, or one node per platform), both choices
        behave the same - buildx builds (M(buildkit.fleet.buildkit_bake) in one C(bake) call), and no node is
        asked before the build. A bake run that builds nothing asks no node either.
      - Outputs that buildx cannot join across nodes (V(oci), V(tar), and loading into Docker - the V(load) output
        of M(buildkit.fleet.buildkit_build), C(type=docker) or C(load) for M(buildkit.fleet.buildkit_bake)) put all
        platforms of a build on one node, placed by the set of platforms over the nodes that serve all of them.
        For M(buildkit.fleet.buildkit_build), V(push) and V(local) outputs place each platform on its own and
        buildx joins the pushed platforms into one manifest list.
      - Placement works for V(docker-container) and V(remote) builders; other drivers are left to buildx.
    type: str
    choices: [affinity, buildx]
    default: affinity
    version_added: 0.2.0
  placement_timeout:
    description:
      - Seconds the nodes of a pool may take to answer the health check (asked in parallel) before placement skips
        the ones that did not answer.
    type: int
    default: 10
    version_added: 0.2.0
'''

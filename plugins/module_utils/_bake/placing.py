# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Placement of the stale targets of a bake on the nodes of a pool (pure).

The rules are buildkit_build's (_build/placement.py, _build/placing.py); this file only says what a bake
target is to them:

- The stale targets are split into **dependency groups**: a target and the stale targets it uses through
  `target:` contexts (directly or not) go together, since bake builds a dependency inside its dependent's build.
  A group is placed by its **root** (the target no other target of the group uses; the first by name when
  several are), with the platforms of all its targets.
- The **identity** of a target (the placement key with the builder and the platform) is its bake target name,
  its context location and its Dockerfile path - not their contents, so a changed file stays on its node.
- The groups are joined into **calls**: one `bake` call per set of chosen nodes (and platforms on them); the
  groups that placement left to buildx (no pool) share one call through the user's builder.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import command as bcmd
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import graph
from ansible_collections.buildkit.fleet.plugins.module_utils._build import placement as pl
from ansible_collections.buildkit.fleet.plugins.module_utils._build.command import is_remote
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import normalized_text


def target_identity(working_dir, name, definition):
    """Where a target's sources are: its context location, Dockerfile path and bake target name."""
    context = definition.get('context') or '.'
    if not is_remote(context) and context != '-':
        context = os.path.normpath(os.path.join(working_dir, context))
    if definition.get('dockerfile-inline') is not None:
        dockerfile = '-'
    else:
        dockerfile = definition.get('dockerfile') or 'Dockerfile'
    return pl.identity(context, dockerfile, name)


def target_platforms(definition):
    return [normalized_text(p) for p in definition.get('platforms') or []]


def dependency_groups(build_list, targets):
    """[(root, [members in build_list order])] of the stale targets, in the order of their first member."""
    stale = set(build_list)
    parent = dict((name, name) for name in build_list)

    def find(name):
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name
    used_by_others = set()
    for name in build_list:
        for dep in graph.closure([name], targets):
            if dep != name and dep in stale:
                used_by_others.add(dep)
                parent[find(dep)] = find(name)
    members = {}
    for name in build_list:
        members.setdefault(find(name), []).append(name)
    groups = []
    for name in build_list:
        group = members.get(find(name))
        if group is None or group[0] != name:
            continue
        roots = sorted(n for n in group if n not in used_by_others) or sorted(group)
        groups.append((roots[0], group))
    return groups


def group_platforms(members, targets):
    """The platforms of every target of a group, in first-seen order ([]: none declares any)."""
    found = []
    for name in members:
        for platform in target_platforms(targets[name]):
            if platform not in found:
                found.append(platform)
    return found


def group_params(params, members, targets):
    """What _build/placing.make_plan reads of a build, for a group: the mode, the builder and the output types
    (outputs buildx cannot join across nodes keep all platforms of the group on one node)."""
    types = ['load'] if params.get('load') else []
    for name in members:
        for output in bcmd.outputs(targets[name]):
            types.append('load' if output['kind'] == 'load' else output.get('type') or output['kind'])
    return {'placement': params.get('placement'), 'builder': params['builder'],
            'outputs': [{'type': t} for t in types]}


def call_key(plan):
    """What a group's bake call needs: the chosen nodes with their platforms, or None (the user's builder)."""
    if not plan.applied:
        return None
    return tuple((node, tuple(platforms) if platforms else None) for node, platforms in plan.assignments)


def calls(groups, plans, order=None):
    """[(key, [targets])]: the groups joined by call_key, in the order of their first group; key None (the user's
    builder as it is) first. The targets of a call keep `order` (the build order) when given."""
    joined, keys = {}, []
    for (root, members) in groups:
        key = call_key(plans[root])
        if key not in joined:
            joined[key] = []
            keys.append(key)
        joined[key].extend(members)
    keys.sort(key=lambda k: k is not None)
    if order is not None:
        rank = dict((name, index) for index, name in enumerate(order))
        for key in keys:
            joined[key].sort(key=lambda name: rank.get(name, len(rank)))
    return [(key, joined[key]) for key in keys]


def target_entry(plan, root):
    """A target's `placement`: the node, reason and failover of its group's decision (the first platform's when
    its platforms are spread), each platform's decision, and the root it was placed by."""
    platforms = dict((p, dict(d)) for p, d in sorted(plan.platforms.items()))
    if not platforms:
        return {'node': None, 'reason': None, 'failover_from': [], 'applied': False, 'placed_by': root,
                'platforms': {}, 'note': plan.note}
    first = platforms[sorted(platforms)[0]]
    entry = {'node': first['node'], 'reason': first['reason'], 'failover_from': first['failover_from'],
             'order': first['order'], 'by': first['by'], 'applied': plan.applied, 'placed_by': root,
             'platforms': platforms}
    if plan.note:
        entry['note'] = plan.note
    return entry

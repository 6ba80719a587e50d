# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The placement plan of one build: which node builds each platform, and why.

Pure apart from `probe` (a callable asking nodes for their health, see node_health): the rules are in
placement.py. Nodes are asked only when a platform has more than one candidate node; a builder with one node,
or one node per platform, is left to buildx exactly as before (the result still names the node when the store
says which one it is).

Builds whose outputs buildx cannot join across nodes (V(oci) and V(tar) tarballs; V(load)) put all their
platforms on one node, placed by the platform set over the nodes that serve every platform.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._build import placement as pl
from ansible_collections.buildkit.fleet.plugins.module_utils._build.node_health import PLACEABLE_DRIVERS
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platforms

# outputs buildx refuses for multi-node builds ("oci for multi-node builds currently not supported")
WHOLE_OUTPUTS = ('oci', 'tar', 'load')
BUILDX = 'buildx'


class Plan(object):
    """The decision for one build: `applied` (the module chose nodes and builds through a view of them)."""

    def __init__(self, mode, applied=False, note=None):
        self.mode, self.applied, self.note = mode, applied, note
        self.platforms = {}  # platform -> {node, reason, failover_from, order, pool}
        self.assignments = []  # [(node, platforms or None)] in store order
        self.health = {}  # node -> state, of the nodes that were asked
        self.answers = {}  # node -> (state, reported platforms), for a re-plan
        self.default_platform = False  # the build has no platforms: its one platform is the first node's
        self.route = None  # how buildx reached the nodes: 'buildkitd socket' (direct_route) or 'buildx'

    def nodes(self):
        return [node for node, _platforms in self.assignments]

    def result(self, steps=None):
        platforms = {}
        for platform, decision in sorted(self.platforms.items()):
            entry = dict(decision)
            if steps is not None:
                entry['steps'] = steps.get(platform) if len(self.platforms) > 1 else steps.get(platform, steps.get(None))
            platforms[platform] = entry
        found = {'mode': self.mode, 'applied': self.applied, 'platforms': platforms,
                 'nodes_asked': dict(sorted(self.health.items()))}
        if self.note:
            found['note'] = self.note
        if self.route:
            found['route'] = self.route
        return found


def store_nodes(stored):
    return [{'name': n['name'], 'platforms': format_platforms(n.get('platforms'))} for n in stored.get('nodes') or []]


def placement_timeout_problem(params):
    """The error text of a placement_timeout that is not a positive number of seconds, else None."""
    bound = params.get('placement_timeout')
    if bound is not None and bound <= 0:
        return "placement_timeout: must be a positive number of seconds, got '%s'" % bound
    return None


def candidates(nodes, platform):
    """Nodes that may serve the platform before anybody is asked: its declarers, else every undeclared node."""
    declared = [n['name'] for n in nodes if platform and platform in n['platforms']]
    return declared or [n['name'] for n in nodes if not n['platforms']]


def whole_build(params, platforms):
    kinds = set(o['type'] for o in params.get('outputs') or [])
    return len(platforms) > 1 and bool(kinds & set(WHOLE_OUTPUTS))


def make_plan(params, stored, platforms, build_identity, probe, health=None):
    """The Plan of a build of `platforms` (normalised texts; [] = the builder's default platform).

    probe(names) returns {name: (state, reported platforms or None)}; `health` given: those answers are known
    already (a re-plan after a failure)."""
    nodes = store_nodes(stored)
    if params.get('placement') == BUILDX:
        return Plan(BUILDX, note='placement=buildx: buildx chooses the nodes')
    plan = Plan('affinity')
    if stored.get('driver') not in PLACEABLE_DRIVERS or len(nodes) < 2:
        if len(nodes) == 1:
            for platform in platforms or [_default_platform(nodes, {})]:
                plan.platforms[platform or 'default'] = _decision(nodes[0]['name'], pl.ONLY_NODE, [], [nodes[0]['name']], 'store')
        else:
            plan.note = 'driver %s: buildx chooses the nodes' % stored.get('driver')
        return plan
    wanted = list(platforms) or [None]
    to_ask = set()
    for platform in wanted:
        found = candidates(nodes, platform)
        if len(found) > 1:
            to_ask.update(found)
    answers = dict(health or {})
    missing = sorted(n for n in to_ask if n not in answers)
    if missing:
        answers.update(probe(missing))
    plan.answers = answers
    plan.health = dict((name, state) for name, (state, _reported) in answers.items())
    reported = dict((name, found) for name, (_state, found) in answers.items() if found is not None)
    if not platforms:
        plan.default_platform = True
        wanted = [_default_platform(nodes, reported)]
        if wanted[0] is None:
            plan.note = 'the first node did not say its platform: buildx chooses the nodes'
            return plan
    pools = {}
    for platform in wanted:
        names, _how = pl.pool(nodes, platform, reported)
        pools[platform] = names
    if any(not names for names in pools.values()):
        empty = [p for p, names in sorted(pools.items()) if not names]
        plan.note = 'no node serves %s: buildx chooses the nodes' % ', '.join(empty)
        return plan

    def key(platform):
        return pl.placement_key(params['builder'], build_identity, platform)
    if whole_build(params, wanted):
        common = [n['name'] for n in nodes if all(n['name'] in pools[p] for p in wanted)]
        if not common:
            plan.note = 'no node serves all of %s, which these outputs need on one node: buildx chooses' % ', '.join(wanted)
            return plan
        groups = [(wanted, common, key(pl.combined_platform(wanted)))]
    else:
        groups = [([platform], pools[platform], key(platform)) for platform in wanted]
    if all(len(names) < 2 for _group, names, _key in groups):
        for group, names, _key in groups:
            for platform in group:
                plan.platforms[platform] = _decision(names[0], pl.ONLY_NODE, [], names, 'store')
        return plan
    chosen = {}
    states = dict((name, state) for name, state in plan.health.items())
    for group, names, group_key in groups:
        ordered = pl.order(group_key, names)
        node, reason, skipped = pl.choose(ordered, dict((n, states.get(n, pl.HEALTHY)) for n in ordered))
        if node is None:
            plan.platforms = {}
            plan.note = 'no node of %s is usable (%s): buildx chooses the nodes' % (
                ', '.join(group), '; '.join('%s: %s' % (s['node'], s['state']) for s in skipped))
            return plan
        for platform in group:
            plan.platforms[platform] = _decision(node, reason, skipped, ordered, 'hash')
            chosen.setdefault(node, []).append(platform)
    plan.applied = True
    plan.assignments = [(n['name'], None if plan.default_platform else chosen[n['name']])
                        for n in nodes if n['name'] in chosen]
    return plan


def _decision(node, reason, skipped, ordered, how):
    return {'node': node, 'reason': reason, 'failover_from': list(skipped), 'order': list(ordered), 'by': how}


def _default_platform(nodes, reported):
    """The platform a build without platforms gets: the first node's (declared, else its native one)."""
    first = nodes[0] if nodes else None
    if first is None:
        return None
    if first['platforms']:
        return first['platforms'][0]
    found = reported.get(first['name'])
    if found:
        return found[0]
    for node in nodes[1:]:  # the first node is down: the platform the others run natively
        if not node['platforms'] and reported.get(node['name']):
            return reported[node['name']][0]
    return None

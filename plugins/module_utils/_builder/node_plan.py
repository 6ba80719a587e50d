# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which nodes a builder has: buildx's node names (<name><index>) and each node's endpoint (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import TLS_OPTIONS


def default_node_name(builder, index=0):
    """buildx's name of the node at ``index`` of a builder: <name><index> (lower-cased when stored)."""
    return '%s%d' % (builder, index)


def node_entries(params, stored_names=None):
    """The wanted nodes' own settings: O(nodes), or one node (named as in the store, else <name>0)."""
    if params.get('nodes'):
        return [dict(entry, name=entry.get('name') or default_node_name(params['name'], index))
                for index, entry in enumerate(params['nodes'])]
    name = stored_names[0] if stored_names else default_node_name(params['name'])
    return [{'name': name, 'platforms': params.get('platforms')}]


def plan_endpoints(params, spec, stored, default_endpoint):
    """{node name: (endpoint, TLS overrides)} for the wanted nodes and the stored ones."""
    overrides = dict((entry['name'].lower(), dict((k, entry.get(k)) for k in TLS_OPTIONS))
                     for entry in node_entries(params) if params.get('nodes'))
    endpoints = dict((n['name'], (n['endpoint'], overrides.get(n['name']))) for n in (stored or {}).get('nodes', []))
    for node in (spec or {}).get('nodes', []):
        endpoints[node['name']] = (node['endpoint'], overrides.get(node['name']))
    if not endpoints:
        endpoints[default_node_name(params['name']).lower()] = (default_endpoint, None)
    return endpoints

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare the stored remote builder with the desired one (pure).

Views carry paths and SHA-256 digests of the TLS files, never their contents: they go into results and diffs.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform

_TRUE = ('1', 't', 'T', 'TRUE', 'true', 'True')
_FALSE = ('0', 'f', 'F', 'FALSE', 'false', 'False')


def _driver_opts(opts):
    """Driver options as buildx reads them: default-load by its strconv.ParseBool value, false left out."""
    result = dict(opts or {})
    value = result.get('default-load')
    if value in _TRUE:
        result['default-load'] = 'true'
    elif value in _FALSE:
        del result['default-load']
    return dict(sorted(result.items()))


def node_view(node, digests):
    """The comparable view of a node (stored or desired) with its TLS files' digests."""
    view = {
        'name': node['name'],
        'endpoint': node['endpoint'],
        'platforms': [format_platform(p) for p in node.get('platforms') or []],
        'driver_opts': _driver_opts(node.get('driver_opts')),
        'tls_files': dict(sorted((digests or {}).items())),
    }
    if node.get('flags'):
        view['flags'] = list(node['flags'])
    if node.get('config') is not None:
        view['config'] = 'buildkitd.toml (%d bytes)' % len(node['config'])
    return view


def group_view(group, digests):
    """{'name', 'driver', 'nodes': [node_view]} of a stored or desired builder; None for a missing one."""
    if group is None:
        return None
    return {'name': group['name'], 'driver': group['driver'],
            'nodes': [node_view(n, (digests or {}).get(n['name'])) for n in group['nodes']]}


def differences(before, after):
    """[{'item', 'before', 'after'}] between two group views (before may be None: a new builder)."""
    if before is None:
        return [{'item': 'builder', 'before': None, 'after': after['name']}]
    if after is None:
        return [{'item': 'builder', 'before': before['name'], 'after': None}]
    diffs = []
    if before['name'] != after['name']:
        diffs.append({'item': 'name', 'before': before['name'], 'after': after['name']})
    names_before = [n['name'] for n in before['nodes']]
    names_after = [n['name'] for n in after['nodes']]
    if names_before != names_after:
        diffs.append({'item': 'nodes', 'before': names_before, 'after': names_after})
    stored = dict((n['name'], n) for n in before['nodes'])
    for node in after['nodes']:
        old = stored.get(node['name'])
        if old is None:
            continue
        for field in ('endpoint', 'platforms', 'driver_opts', 'flags', 'config'):
            if old.get(field) != node.get(field):
                diffs.append({'item': 'nodes[%s].%s' % (node['name'], field), 'before': old.get(field),
                              'after': node.get(field)})
        for opt in sorted(set(old['tls_files']) | set(node['tls_files'])):
            if old['tls_files'].get(opt) != node['tls_files'].get(opt):
                diffs.append({'item': 'nodes[%s].tls_files.%s' % (node['name'], opt),
                              'before': old['tls_files'].get(opt), 'after': node['tls_files'].get(opt)})
    return diffs

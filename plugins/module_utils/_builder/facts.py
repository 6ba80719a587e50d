# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read-only facts about builders in the buildx store: per node status, workers, cache, activity.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.buildkit.fleet.plugins.module_utils._cache.du import summarize
from ansible_collections.buildkit.fleet.plugins.module_utils._cache.node_cache import disk_usage as node_disk_usage
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import APIError, DockerException
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform
from ansible_collections.buildkit.fleet.plugins.module_utils._common.times import format_time, parse_time
from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import Node, NodeError
from ansible_collections.buildkit.fleet.plugins.module_utils._node.container import volume_exists
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import DRIVER, container_name, volume_name
from ansible_collections.buildkit.fleet.plugins.module_utils._node.workers import worker_facts


def last_activity(store, name):
    """buildx's last activity of a builder (activity/<name>, RFC 3339), as UTC text, or None."""
    for candidate in (name, name.lower()):
        path = os.path.join(store.root, 'activity', candidate)
        try:
            with open(path) as handle:
                stamp = parse_time(handle.read().strip())
        except (IOError, OSError):
            continue
        if stamp is not None:
            return format_time(stamp)
    return None


def node_facts(node, params, bootstrap=False, bootstrap_timeout=60, check_mode=False,
               disk_usage=True, records=False):
    """Facts of one node; never raises for a node that cannot be reached or read (see ``error``)."""
    facts = {
        'name': node['name'], 'endpoint': node['endpoint'], 'status': 'unknown', 'error': None,
        'container': container_name(node['name']), 'container_id': None, 'image': None, 'started_at': None,
        'volume': volume_name(node['name']), 'volume_exists': None,
        'fixed_platforms': [format_platform(p) for p in node.get('platforms') or []],
        'platforms': [], 'buildkit_version': None, 'worker_labels': {}, 'gc_policy': [],
        'disk_usage': None, 'driver_opts': dict(node.get('driver_opts') or {}), 'flags': list(node.get('flags') or []),
        'booted': False, 'notes': [],
    }
    access = Node(node, params)
    try:
        access.connect()
        status = access.refresh()
        facts['status'] = status
        facts['volume_exists'] = volume_exists(access.client, facts['volume'])
        if access.inspect is not None:
            facts['container_id'] = access.inspect.get('Id')
            facts['image'] = (access.inspect.get('Config') or {}).get('Image')
        if status == 'stopped' and bootstrap:
            if check_mode:
                facts['notes'].append('stopped: bootstrap would start it (not done in check mode)')
                return facts
            workers = access.start(bootstrap_timeout)
            facts['booted'] = True
            status = facts['status'] = access.refresh()
        elif status == 'running':
            workers = access.ready(bootstrap_timeout) if bootstrap else access.workers()
        else:
            if status == 'inactive' and bootstrap:
                facts['notes'].append('no container: bootstrap only starts existing containers; create the node '
                                      'with buildkit.fleet.buildkit_builder')
            return facts
        if access.inspect is not None:
            facts['started_at'] = ((access.inspect.get('State') or {}).get('StartedAt'))
        facts.update(worker_facts(workers))
        facts.pop('worker_id', None)
        if not facts['buildkit_version']:
            facts['buildkit_version'] = access.version()
        if disk_usage:
            recs = node_disk_usage(access)
            facts['disk_usage'] = summarize(recs)
            if records:
                facts['disk_usage']['entries'] = recs
    except (NodeError, APIError, DockerException) as exc:
        facts['error'] = str(exc)
        if facts['status'] == 'unknown':
            facts['status'] = 'unreachable'
    return facts


def builder_facts(store, name, params, current=None, **options):
    group = store.read(name)
    if group is None:
        return None
    result = {'name': group['name'] or name, 'driver': group['driver'], 'last_activity': last_activity(store, group['name'] or name),
              'current': bool(current and (current.get('Name') or '').lower() == (group['name'] or name).lower()),
              'nodes': []}
    for node in group['nodes']:
        if group['driver'] != DRIVER:
            result['nodes'].append({'name': node['name'], 'endpoint': node['endpoint'], 'status': 'unknown',
                                    'error': 'driver %s is not inspected by this module' % group['driver'],
                                    'fixed_platforms': [format_platform(p) for p in node.get('platforms') or []]})
            continue
        result['nodes'].append(node_facts(node, params, **options))
    statuses = set(n['status'] for n in result['nodes'])
    result['status'] = statuses.pop() if len(statuses) == 1 else ('mixed' if statuses else 'empty')
    return result

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

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import tls as btls
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.docker_ops import read_file
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.spec import load_toml
from ansible_collections.buildkit.fleet.plugins.module_utils._cache.du import summarize
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._cache.node_cache import disk_usage as node_disk_usage
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import APIError, DockerException
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform
from ansible_collections.buildkit.fleet.plugins.module_utils._common.times import format_time, parse_time
from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import Node, NodeError
from ansible_collections.buildkit.fleet.plugins.module_utils._node.container import volume_exists
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import CONFIG_PATH, DRIVER, container_name, volume_name
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


def serve_facts(client, inspect):
    """What the node's container serves on TCP (its [grpc] config, published port and certificate), or None."""
    name = inspect.get('Id')
    text = read_file(client, name, CONFIG_PATH)
    if text is None:
        return None
    try:
        config = load_toml(text.decode('utf-8'), 'container config')
    except SpecError:
        return None
    if not ((config.get('grpc') or {}).get('address')):
        return None
    cert = read_file(client, name, btls.TLS_DIR + '/cert.pem')
    return btls.serve_view(config, (inspect.get('HostConfig') or {}).get('PortBindings'), cert)


def node_facts(node, params, bootstrap=False, bootstrap_timeout=60, check_mode=False,
               disk_usage=True, records=False):
    """Facts of one node; never raises for a node that cannot be reached or read (see ``error``)."""
    facts = {
        'name': node['name'], 'endpoint': node['endpoint'], 'status': 'unknown', 'error': None,
        'container': container_name(node['name']), 'container_id': None, 'image': None, 'started_at': None,
        'volume': volume_name(node['name']), 'volume_exists': None,
        'fixed_platforms': [format_platform(p) for p in node.get('platforms') or []],
        'platforms': [], 'buildkit_version': None, 'worker_labels': {}, 'gc_policy': [], 'gc': None, 'serve': None,
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
            try:
                facts['serve'] = serve_facts(access.client, access.inspect)
            except (APIError, DockerException):  # e.g. its state volume's data is gone: the status tells
                facts['serve'] = None
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
        facts['gc'] = facts['gc_policy']
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

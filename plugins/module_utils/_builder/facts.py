# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read-only facts about builders in the buildx store: per node status, workers, cache, activity.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.buildkit.fleet.plugins.module_utils._cache import buildctl as cache
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.docker_ops import (
    BuilderError, container_status, exec_run, inspect_container, volume_exists, wait_ready)
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.spec import (
    DRIVER, STATE_DIR, container_name, format_platform, volume_name)
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import (
    APIError, DockerConnectionError, DockerException, connect, endpoint_params)

EXEC_TIMEOUT = '10'


class NodeError(Exception):
    """A node cannot be used for this request; the message names the node."""


def last_activity(store, name):
    """buildx's last activity of a builder (activity/<name>, RFC 3339), as UTC text, or None."""
    for candidate in (name, name.lower()):
        path = os.path.join(store.root, 'activity', candidate)
        try:
            with open(path) as handle:
                stamp = cache.parse_time(handle.read().strip())
        except (IOError, OSError):
            continue
        if stamp is not None:
            return cache.format_time(stamp)
    return None


class Node(object):
    """One node of a builder on its own Docker endpoint."""

    def __init__(self, node, params):
        self.node = node
        self.params = params
        self.name = node['name']
        self.container = container_name(self.name)
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
        except (APIError, DockerException) as exc:
            raise NodeError('node %s: %s failed: %s' % (self.name, ' '.join(args[:3]), getattr(exc, 'explanation', None) or exc))
        if code != 0:
            raise NodeError('node %s: %s exited with %s: %s' % (self.name, ' '.join(args[:3]), code, (err or out).strip()[-500:]))
        return out

    def start(self, timeout):
        """Start a stopped container and wait until buildkitd answers; returns the workers."""
        try:
            self.client.start(self.container)
        except APIError as exc:
            raise NodeError('node %s: starting %s failed: %s' % (self.name, self.container, exc.explanation or exc))
        return self.ready(timeout)

    def stop(self):
        try:
            self.client.stop(self.container)
        except APIError as exc:
            raise NodeError('node %s: stopping %s failed: %s' % (self.name, self.container, exc.explanation or exc))

    def ready(self, timeout):
        try:
            return wait_ready(self.client, self.container, timeout)
        except (BuilderError, APIError) as exc:
            raise NodeError('node %s: %s' % (self.name, exc))

    def workers(self):
        try:
            return json.loads(self.buildctl('buildctl', 'debug', 'workers', '--format', '{{json .}}') or '[]') or []
        except ValueError as exc:
            raise NodeError('node %s: buildctl debug workers answered something that is not JSON: %s' % (self.name, exc))

    def version(self):
        return cache.parse_debug_info(self.buildctl('buildctl', 'debug', 'info', '--format', '{{json .}}'))

    def disk_usage(self, filters=None):
        try:
            return cache.parse_du(self.buildctl(*cache.du_argv(filters)))
        except cache.CacheError as exc:
            raise NodeError('node %s: %s' % (self.name, exc))

    def free_bytes(self):
        """Free bytes of the cache file system as BuildKit counts them (statfs), else df's available, else None."""
        for argv, parse in ((['stat', '-f', '-c', '%f %s', STATE_DIR], cache.parse_statfs_free),
                            (['df', '-P', '-k', STATE_DIR], cache.parse_df_free)):
            try:
                code, out, _err = exec_run(self.client, self.container, argv)
            except (APIError, DockerException):
                continue
            free = parse(out) if code == 0 else None
            if free is not None:
                return free
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
        facts.update(cache.worker_facts(workers))
        facts.pop('worker_id', None)
        if not facts['buildkit_version']:
            facts['buildkit_version'] = access.version()
        if disk_usage:
            recs = access.disk_usage()
            facts['disk_usage'] = cache.summarize(recs)
            if records:
                facts['disk_usage']['items'] = recs
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

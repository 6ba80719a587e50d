# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan and apply one builder: compare desired with real state, then act (or only predict in check mode)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.buildkit.fleet.plugins.module_utils import builder_docker as bd
from ansible_collections.buildkit.fleet.plugins.module_utils.builder_compare import (
    container_differences, container_view, readable_node, store_differences)
from ansible_collections.buildkit.fleet.plugins.module_utils.builder_spec import (
    DRIVER, container_name, container_spec, desired_spec, format_platform, volume_name)


class Reconciler(object):
    """Brings one builder to the wanted state; collects actions, differences and the builder record."""

    def __init__(self, client, store, params, endpoint, config_text, check_mode):
        self.client, self.store, self.params = client, store, params
        self.endpoint, self.config_text, self.check_mode = endpoint, config_text, check_mode
        self.actions, self.differences, self.notes = [], [], []
        self.timings = {}

    # -- helpers -------------------------------------------------------------------------------
    def _act(self, action, func, *args):
        self.actions.append(action)
        if not self.check_mode:
            started = time.monotonic()
            func(*args)
            self.timings[action.split(' ')[0]] = round(time.monotonic() - started, 3)

    def _running(self, inspect):
        return bool(inspect and (inspect.get('State') or {}).get('Running'))

    # -- absent ----------------------------------------------------------------------------------
    def remove(self, stored):
        """Remove containers, volumes (unless keep_state) and the store entry, leftovers included."""
        name = self.params['name']
        node_names = [n['name'] for n in stored['nodes']] if stored else [(name + '0').lower()]
        containers = []
        for node in node_names:
            container, volume = container_name(node), volume_name(node)
            if bd.inspect_container(self.client, container):
                containers.append(container)
                self._act('remove container %s' % container, bd.remove_container, self.client, container)
            if not self.params['keep_state'] and bd.volume_exists(self.client, volume):
                self._act('remove volume %s' % volume, bd.remove_volume, self.client, volume)
        if self.store.has_traces(name):
            self._act('remove store entry %s' % name, self._remove_store, name)
        before = {'status': 'present' if (stored or containers) else 'absent',
                  'store': readable_node(stored['nodes'][0]) if stored else None, 'containers': containers}
        return before, {'status': 'absent', 'store': None, 'containers': []}

    def _remove_store(self, name):
        with self.store.locked():
            self.store.remove(name)

    # -- present / stopped -----------------------------------------------------------------------
    def ensure(self, stored, facts):
        params = self.params
        node_name = stored['nodes'][0]['name'] if stored and stored['nodes'] else None
        spec = desired_spec(params, self.endpoint, node_name, self.config_text)
        node = spec['nodes'][0]
        cspec = container_spec(node, facts)
        network_id = bd.check_network(self.client, cspec['network_mode'])

        inspect = bd.inspect_container(self.client, cspec['name'])
        image = bd.inspect_image(self.client, cspec['image'])
        before_container = None
        if inspect:
            image_env = dict(e.partition('=')[::2] for e in ((image or {}).get('Config') or {}).get('Env') or [])
            config_now = bd.read_config(self.client, cspec['name']) if cspec['config'] is not None else None
            before_container = container_view(inspect, image_env, config_now)
            self.differences.extend(container_differences(before_container, cspec, (image or {}).get('Id'), network_id))
        drift = list(self.differences)
        store_diffs = store_differences(stored['nodes'][0] if stored and stored['nodes'] else None, node)
        self.differences.extend(store_diffs)
        if drift and params['recreate'] == 'never':
            self.notes.append('the container differs from the wanted spec; recreate=never keeps it')
        rebuild = inspect is None or params['recreate'] == 'always' or bool(drift and params['recreate'] == 'changed')
        want_running = params['state'] == 'present'
        before = {'status': _status(inspect), 'store': readable_node(stored['nodes'][0]) if stored else None,
                  'container': before_container}
        after = {'status': 'running' if want_running else 'stopped', 'store': readable_node(node),
                 'container': dict(cspec, image_id=(image or {}).get('Id'), network_id=network_id)}

        volume_is_new = not bd.volume_exists(self.client, cspec['volume'])
        workers = []
        try:
            running = self._running(inspect) and not rebuild
            if rebuild:
                self._create(cspec, inspect, image)
            if want_running and not running:
                self._act('start container %s' % cspec['name'], self.client.start, cspec['name'])
            elif running and not want_running:
                self._act('stop container %s' % cspec['name'], self.client.stop, cspec['name'])
            if want_running and not self.check_mode:
                started = time.monotonic()
                workers = bd.wait_ready(self.client, cspec['name'], params['bootstrap_timeout'])
                self.timings['ready'] = round(time.monotonic() - started, 3)
        except Exception:
            if inspect is None and not self.check_mode:  # a failed create leaves nothing behind
                bd.remove_container(self.client, cspec['name'])
                if volume_is_new:
                    bd.remove_volume(self.client, cspec['volume'])
            raise
        if store_diffs:
            self._act('write store entry %s' % spec['name'], self._write_store, spec)
        if params['use']:
            current = self.store.current() or {}
            if current.get('Name') != spec['name'] or current.get('Key') != self.endpoint:
                self._act('use %s' % spec['name'], self._set_current, spec['name'])
        return before, after, self._record(spec, node, cspec, workers)

    def _create(self, cspec, inspect, image):
        verb = 'recreate' if inspect else 'create'
        if self.check_mode:
            if image is None:
                self.actions.append('pull image %s' % cspec['image'])
            self.actions.append('%s container %s' % (verb, cspec['name']))
            return
        started = time.monotonic()
        _image, note = bd.ensure_image(self.client, cspec['image'], self.params['pull'] or image is None)
        self.timings['image'] = round(time.monotonic() - started, 3)
        if note:
            self.notes.append(note)
        if inspect:
            self._act('remove container %s (volume %s kept)' % (cspec['name'], cspec['volume']),
                      bd.remove_container, self.client, cspec['name'])
        self._act('%s container %s' % (verb, cspec['name']), bd.create_container, self.client, cspec,
                  self.config_text)

    def _write_store(self, spec):
        with self.store.locked():
            self.store.write(spec)

    def _set_current(self, name):
        with self.store.locked():
            self.store.set_current(self.endpoint, name)

    def _record(self, spec, node, cspec, workers):
        inspect = None if self.check_mode else bd.inspect_container(self.client, cspec['name'])
        fixed = [format_platform(p) for p in node['platforms']]
        detected, version = [], None
        for worker in workers:
            for plat in worker.get('platforms') or worker.get('Platforms') or []:
                text = format_platform(plat)
                if text not in detected:
                    detected.append(text)
            bk_version = worker.get('BuildkitVersion') or worker.get('buildkitVersion') or {}
            version = version or bk_version.get('Version') or bk_version.get('version')
        return {
            'name': spec['name'],
            'driver': DRIVER,
            'nodes': [{
                'name': node['name'],
                'endpoint': node['endpoint'],
                'status': _status(inspect) if not self.check_mode else ('running' if self.params['state'] == 'present' else 'stopped'),
                'buildkit_version': version,
                'platforms': fixed + [p for p in detected if p not in fixed],
                'fixed_platforms': fixed,
                'driver_opts': dict(sorted(node['driver_opts'].items())),
                'flags': list(node['flags']),
                'container_id': (inspect or {}).get('Id'),
                'volume': cspec['volume'],
            }],
        }


def _status(inspect):
    if not inspect:
        return 'inactive'
    return 'running' if (inspect.get('State') or {}).get('Running') else 'stopped'

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan and apply one builder: compare desired with real state per node, then act (or only predict in check mode).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import docker_ops as bd
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.compare import (
    container_differences, container_view, readable_node, store_differences)
from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.spec import DRIVER, container_name, container_spec, volume_name
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform
from ansible_collections.buildkit.fleet.plugins.module_utils._node.workers import buildkit_version, detected_platforms


def _overall(statuses):
    if not statuses or all(s == 'inactive' for s in statuses):
        return 'inactive'
    return statuses[0] if len(set(statuses)) == 1 else 'partial'


class Reconciler(object):
    """Brings one builder to the wanted state; collects actions, differences and the builder record.

    `clients` maps node names to connected Docker API clients (one per node endpoint)."""

    def __init__(self, clients, store, params, config_text, check_mode):
        self.clients, self.store, self.params = clients, store, params
        self.config_text, self.check_mode = config_text, check_mode
        self.actions, self.differences, self.notes, self.warnings = [], [], [], []
        self.timings = {}
        self._created = []  # (client, container id, volume or None) made by this run, for rollback
        self._multi = False

    def _act(self, action, func, *args):
        self.actions.append(action)
        if not self.check_mode:
            started = time.monotonic()
            result = func(*args)
            key = action.split(' ')[0]
            self.timings[key] = round(self.timings.get(key, 0) + time.monotonic() - started, 3)
            return result
        return None

    def _locked(self, func, *args):
        with self.store.locked():
            func(*args)

    # -- absent ----------------------------------------------------------------------------------
    def remove_node(self, node_name):
        """Remove one node's container and (unless keep_state) its volume; True if a container was there."""
        client = self.clients[node_name]
        container, volume = container_name(node_name), volume_name(node_name)
        found = bd.inspect_container(client, container) is not None
        if found:
            self._act('remove container %s' % container, bd.remove_container, client, container)
        if not self.params['keep_state'] and bd.volume_exists(client, volume):
            self._act('remove volume %s' % volume, bd.remove_volume, client, volume)
        return found

    def remove(self, stored, node_names):
        """Remove every node, the store entry and leftovers (a volume or store entry without container)."""
        name = self.params['name']
        containers = [container_name(n) for n in node_names if self.remove_node(n)]
        if self.store.has_traces(name):
            self._act('remove store entry %s' % name, self._locked, self.store.remove, name)
        before = {'status': 'present' if (stored or containers) else 'absent',
                  'nodes': [readable_node(n) for n in (stored or {}).get('nodes', [])], 'containers': containers}
        return before, {'status': 'absent', 'nodes': [], 'containers': []}

    # -- present / stopped -----------------------------------------------------------------------
    def ensure(self, spec, stored, facts):
        """Converge every node of `spec`, drop nodes no longer listed, then write the store entry."""
        self._multi = len(spec['nodes']) > 1
        stored_nodes = dict((n['name'], n) for n in (stored or {}).get('nodes', []))
        wanted = [n['name'] for n in spec['nodes']]
        before, after, records = [], [], []
        try:
            for node in spec['nodes']:
                node_before, node_after, record = self._ensure_node(node, stored_nodes.get(node['name']),
                                                                    facts[node['name']])
                before.append(node_before)
                after.append(node_after)
                records.append(record)
            for stale in [n for n in stored_nodes if n not in wanted]:
                self.differences.append({'item': 'nodes', 'before': stale, 'after': None})
                before.append({'name': stale, 'status': bd.container_status(bd.inspect_container(
                    self.clients[stale], container_name(stale)))})
                self.remove_node(stale)
        except Exception:
            self._rollback()
            raise
        store_diffs = self._store_differences(spec, stored, stored_nodes)
        self.differences.extend(store_diffs)
        if store_diffs:
            self._act('write store entry %s' % spec['name'], self._locked, self.store.write, spec)
        if self.params['use']:
            endpoint = spec['nodes'][0]['endpoint']
            current = self.store.current() or {}
            if current.get('Name') != spec['name'] or current.get('Key') != endpoint:
                self._act('use %s' % spec['name'], self._locked, self.store.set_current, endpoint, spec['name'])
        record = {'name': spec['name'], 'driver': DRIVER, 'nodes': records}
        return ({'status': _overall([b['status'] for b in before]), 'nodes': before},
                {'status': _overall([a['status'] for a in after]), 'nodes': after}, record)

    def _store_differences(self, spec, stored, stored_nodes):
        if not stored:
            return [{'item': 'store', 'before': None, 'after': 'instances entry'}]
        diffs = []
        if [n['name'] for n in stored['nodes']] != [n['name'] for n in spec['nodes']]:
            diffs.append({'item': 'store.nodes', 'before': [n['name'] for n in stored['nodes']],
                          'after': [n['name'] for n in spec['nodes']]})
        for node in spec['nodes']:
            if node['name'] in stored_nodes:
                suffix = '[%s]' % node['name'] if self._multi else ''
                diffs.extend(dict(d, item=d['item'] + suffix) for d in store_differences(stored_nodes[node['name']], node))
        return diffs

    def _ensure_node(self, node, stored_node, facts):
        params, client = self.params, self.clients[node['name']]
        cspec = container_spec(node, facts)
        label = '[%s]' % node['name'] if self._multi else ''
        try:
            network_id, network_created = bd.check_network(client, cspec['network_mode'])
        except bd.BuilderError as exc:
            if not self.check_mode:  # check mode on a fresh host: an earlier task would create the network
                raise
            self.warnings.append('%s; check mode predicts the builder as if it existed' % exc)
            network_id = network_created = None
        inspect = bd.inspect_container(client, cspec['name'])
        image = bd.inspect_image(client, cspec['image'])
        before_container, drift, lost = None, [], None
        if inspect:
            before_container, drift, lost = self._compare(client, cspec, inspect, image, (network_id, network_created),
                                                          label)
            self.differences.extend(drift)
        if lost is not None:  # the container cannot be read nor started: re-created whatever recreate says
            self.differences.append({'item': 'volume' + label, 'before': 'data directory missing', 'after': cspec['volume']})
        elif drift and params['recreate'] == 'never':
            self.notes.append('node %s differs from the wanted spec; recreate=never keeps it' % node['name'])
        rebuild = (inspect is None or lost is not None or params['recreate'] == 'always'
                   or bool(drift and params['recreate'] == 'changed'))
        actions_before = len(self.actions)
        want_running = params['state'] == 'present'
        running = bd.container_status(inspect) == 'running' and not rebuild
        if running and ((inspect or {}).get('State') or {}).get('Paused'):
            self._act('unpause container %s' % cspec['name'], client.unpause, cspec['name'])
        if rebuild:
            try:
                self._create(client, cspec, inspect, image, lost)
            except bd.ContainerConflict as exc:  # lost the race to another run or `docker buildx create`
                self._adopt(client, cspec, inspect, image, (network_id, network_created), label, exc)
        if want_running and not running:
            self._act('start container %s' % cspec['name'], self._start, client, cspec)
        elif running and not want_running:
            self._act('stop container %s' % cspec['name'], client.stop, cspec['name'])
        workers = []
        if want_running and not self.check_mode:
            started = time.monotonic()
            workers = bd.wait_ready(client, cspec['name'], params['bootstrap_timeout'], just_started=not running)
            self.timings['ready'] = round(max(self.timings.get('ready', 0), time.monotonic() - started), 3)
        before = dict(readable_node(stored_node) if stored_node else {'name': node['name']},
                      status=bd.container_status(inspect), container=before_container)
        after = dict(readable_node(node), status='running' if want_running else 'stopped',
                     container=dict(cspec, image_id=(image or {}).get('Id'), network_id=network_id))
        unchanged = len(self.actions) == actions_before
        return before, after, self._record(client, node, cspec, workers, inspect if unchanged else None)

    def _compare(self, client, cspec, inspect, image, network, label):
        """(container view, differences, the daemon's error when the state volume's data is gone) of a container."""
        image_env = dict(e.partition('=')[::2] for e in ((image or {}).get('Config') or {}).get('Env') or [])
        config_now, lost = self._read_config(client, cspec)
        view = container_view(inspect, image_env, config_now, network[1])
        drift = [dict(d, item=d['item'] + label) for d in
                 container_differences(view, cspec, (image or {}).get('Id'), network[0])]
        return view, drift, lost

    def _adopt(self, client, cspec, inspect, image, network, label, conflict):
        """The container this run was creating was created meanwhile by someone else (another run, or
        `docker buildx create` of the same builder): adopted when it matches the wanted spec, else the conflict."""
        theirs = bd.inspect_container(client, cspec['name']) if inspect is None else None
        if theirs is None:
            raise conflict
        _view, drift, lost = self._compare(client, cspec, theirs, image, network, label)
        if drift or lost is not None:
            raise bd.BuilderError('%s; it differs from the wanted spec (%s), so it was left alone: run again to '
                                  'converge it' % (conflict, ', '.join(d['item'] for d in drift) or 'volume data gone'))
        if self.actions and self.actions[-1] == 'create container %s' % cspec['name']:
            self.actions.pop()  # not done: the other container is used instead
        self.notes.append('container %s was created meanwhile by another run or tool (such as docker buildx create); '
                          'it matches the wanted spec and was adopted' % cspec['name'])

    def _read_config(self, client, cspec):
        """(config text in the container or None, the daemon's error when the state volume's data is gone)."""
        if cspec['config'] is None:
            return None, None
        try:
            return bd.read_config(client, cspec['name']), None
        except dc.APIError as exc:  # reading a file mounts the container's volumes too
            if not bd.volume_data_gone(exc):
                raise
            return None, exc

    def _replace_lost_volume(self, client, cspec, cause):
        """Re-create the state volume whose data directory is gone and the container (recorded, noted)."""
        self.notes.append(bd.replace_lost_volume(client, cspec['name'], cspec['volume'],
                                                 lambda: bd.create_container(client, cspec, self.config_text),
                                                 cause, self._act))

    def _create(self, client, cspec, inspect, image, lost=None):
        verb = 'recreate' if inspect else 'create'
        if self.check_mode:
            if image is None:
                self.actions.append('get image %s' % cspec['image'])
            if lost is not None:
                self._replace_lost_volume(client, cspec, lost)
            else:
                self.actions.append('%s container %s' % (verb, cspec['name']))
            return
        started = time.monotonic()
        _image, note = bd.ensure_image(client, cspec['image'], self.params['pull'] or image is None,
                                       self.params.get('image_mirrors'), self.params.get('image_archive'))
        self.timings['image'] = round(time.monotonic() - started, 3)
        if note:
            self.notes.append(note)
        if lost is not None:
            self._replace_lost_volume(client, cspec, lost)
            return
        new_volume = not bd.volume_exists(client, cspec['volume'])
        if inspect:
            self._act('remove container %s (volume %s kept)' % (cspec['name'], cspec['volume']),
                      bd.remove_container, client, inspect['Id'])
        try:
            created = self._act('%s container %s' % (verb, cspec['name']), bd.create_container, client, cspec,
                                self.config_text)
        except bd.BuilderError as exc:  # the daemon populates (mounts) the kept volume: its data may be gone
            if new_volume or not bd.volume_data_gone(exc):
                raise
            self._replace_lost_volume(client, cspec, exc)
            return
        if not inspect:
            self._created.append((client, created, cspec['volume'] if new_volume else None))

    def _start(self, client, cspec):
        """Start the container the one way (start_container); a state volume whose data is gone is re-created
        with the container (the cache is gone anyway), and the notes say so."""
        note = bd.start_container(client, cspec['name'], cspec['volume'],
                                  lambda: bd.create_container(client, cspec, self.config_text), self._act)
        if note:
            self.notes.append(note)

    def _rollback(self):
        """A failed run leaves no container or volume it created behind."""
        if self.check_mode:
            return
        for client, container_id, volume in self._created:
            bd.remove_container(client, container_id)  # by id: never a container someone else made meanwhile
            if volume:
                bd.remove_volume_if_unused(client, volume)

    def _record(self, client, node, cspec, workers, inspect=None):
        if inspect is None and not self.check_mode:  # the container changed: look at it again
            inspect = bd.inspect_container(client, cspec['name'])
        fixed = [format_platform(p) for p in node['platforms']]
        status = bd.container_status(inspect) if not self.check_mode else (
            'running' if self.params['state'] == 'present' else 'stopped')
        return {
            'name': node['name'],
            'endpoint': node['endpoint'],
            'status': status,
            'buildkit_version': buildkit_version(workers),
            'platforms': fixed + [p for p in detected_platforms(workers) if p not in fixed],
            'fixed_platforms': fixed,
            'driver_opts': dict(sorted(node['driver_opts'].items())),
            'flags': list(node['flags']),
            'container_id': (inspect or {}).get('Id'),
            'volume': cspec['volume'],
        }

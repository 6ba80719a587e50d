# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan and apply one builder: compare desired with real state per node, then act (or only predict in check mode).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import re
import socket
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import docker_ops as bd
from ansible_collections.buildkit.fleet.plugins.module_utils._builder import tls as btls
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.compare import (
    container_differences, container_view, readable_node, store_differences)
from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.spec import DRIVER, container_name, container_spec, volume_name
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
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
        self._tls = None  # the listener's files of O(serve) (spec.TLSMaterial), never shown

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
        self._tls = spec.get('tls')
        for node in spec['nodes']:  # before anything changes: a port someone else holds fails the task here
            self._check_port(node, facts[node['name']])
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
        rotation = self._rotation(client, cspec, label) if inspect and not rebuild else None
        if running and ((inspect or {}).get('State') or {}).get('Paused'):
            self._act('unpause container %s' % cspec['name'], client.unpause, cspec['name'])
        if rotation:
            self._act('rotate certificate of container %s (stop, place the new TLS files, start; volume %s kept)'
                      % (cspec['name'], cspec['volume']), self._rotate, client, cspec, running)
            running = False
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
            workers = bd.wait_ready(client, cspec['name'], params['bootstrap_timeout'], just_started=not running,
                                    inspect=inspect if running and len(self.actions) == actions_before else None,
                                    same_make=True)
            self.timings['ready'] = round(max(self.timings.get('ready', 0), time.monotonic() - started), 3)
        before = dict(readable_node(stored_node) if stored_node else {'name': node['name']},
                      status=bd.container_status(inspect), container=before_container)
        after = dict(readable_node(node), status='running' if want_running else 'stopped',
                     container=dict(((k, v) for k, v in cspec.items() if k != 'config_text'),
                                    image_id=(image or {}).get('Id'), network_id=network_id))
        if node.get('serve'):
            after['serve'] = self._serve_summary(node)
            before['serve'] = dict(after['serve']) if inspect and not rotation and not drift else None
            if rotation:
                before['serve'] = rotation['before']
                after['serve']['certificate'] = rotation['message']
        unchanged = len(self.actions) == actions_before
        return before, after, self._record(client, node, cspec, workers, inspect if unchanged else None,
                                           rotated=bool(rotation))

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
                                                 lambda: self._create_container(client, cspec),
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
            created = self._act('%s container %s' % (verb, cspec['name']), self._create_container, client, cspec)
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
                                  lambda: self._create_container(client, cspec), self._act)
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

    def _create_container(self, client, cspec):
        """Create the container with its config and, for O(serve), the TLS files in place before the first start."""
        files = self._tls.container_files if self._tls is not None and cspec['config_text'] is not None else None
        return bd.create_container(client, cspec, cspec['config_text'], files)

    # -- serve -----------------------------------------------------------------------------------
    def _serve_summary(self, node, tls=None):
        listener, cert = node['serve'], (tls or self._tls).cert or {}
        return dict(dict((k, cert.get(k)) for k in ('subject', 'sans', 'serial', 'not_after', 'days_left')),
                    address=listener['address'], port=listener['port'])

    def _rotation(self, client, cspec, label):
        """None, or {'before', 'after', 'message'} when the container's TLS files differ from the wanted ones."""
        if self._tls is None:
            return None
        try:
            have = bd.read_file(client, cspec['name'], btls.TLS_DIR + '/' + btls.DIGEST_FILE)
        except dc.APIError:
            have = None
        if (have or b'').decode('ascii', 'replace').strip() == self._tls.digest:
            return None
        try:
            old = btls.cert_info(bd.read_file(client, cspec['name'], btls.TLS_DIR + '/cert.pem')) or {}
        except dc.APIError:
            old = {}
        before = {'serial': old.get('serial'), 'not_after': old.get('not_after')}
        after = {'serial': self._tls.cert['serial'], 'not_after': self._tls.cert['not_after']}
        message = '%s: serial %s (notAfter %s) -> serial %s (notAfter %s)' % (
            'certificate would rotate' if self.check_mode else 'certificate rotated', before['serial'] or 'none',
            before['not_after'] or 'none', after['serial'], after['not_after'])
        self.differences.append({'item': 'serve.certificate' + label, 'before': before, 'after': after})
        self.notes.append('%s%s' % (cspec['name'] + ': ' if label else '', message))
        return {'before': before, 'after': after, 'message': message}

    def _rotate(self, client, cspec, running):
        """buildkitd reads its certificates at start only: stop, place the new files, (start follows)."""
        if running:
            client.stop(cspec['name'])
        bd.put_files(client, cspec['name'], self._tls.container_files)

    def _check_port(self, node, facts):
        """serve.port must be free on the host unless this builder's own container holds it."""
        listener = node.get('serve')
        if not listener:
            return
        client = self.clients[node['name']]
        inspect = bd.inspect_container(client, container_name(node['name']))
        if inspect is not None and bd.container_status(inspect) == 'running':
            host = inspect.get('HostConfig') or {}
            bound = [b for b in (host.get('PortBindings') or {}).get('%d/tcp' % listener['port']) or []
                     if str(b.get('HostPort')) == str(listener['port'])]
            if bound:
                return  # published for this builder's own container
            if host.get('NetworkMode') == 'host':
                config = bd.read_config(client, inspect['Id']) or ''
                if re.search(r'"tcp://[^"]*:%d"' % listener['port'], config):
                    return  # this builder's own buildkitd listens there
        endpoint = node.get('endpoint') or ''
        if not endpoint.startswith('unix://') and endpoint not in ('', 'default'):
            return  # a remote daemon's host: the daemon's own error names serve.port at create/start
        family = socket.AF_INET6 if ':' in listener['address'] else socket.AF_INET
        probe = socket.socket(family, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((listener['address'], listener['port']))
        except (IOError, OSError) as exc:
            if exc.errno == errno.EADDRNOTAVAIL:
                raise SpecError("serve.address: '%s' is not an address of this host (%s)"
                                % (listener['address'], exc.strerror))
            raise SpecError("serve.port: %d on %s is already in use on the host by something that is not builder "
                            "node %s (%s); choose another port or free it"
                            % (listener['port'], listener['address'], node['name'], exc.strerror or exc))
        finally:
            probe.close()

    def _record(self, client, node, cspec, workers, inspect=None, rotated=False):
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
            'serve': dict(self._serve_summary(node), rotated=rotated) if node.get('serve') else None,
            'gc': (workers[0].get('gc_policy') if workers else None),
        }

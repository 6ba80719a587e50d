# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One builder from checked options to its result: check, connect, lock, converge (buildkit_builder, buildkit_builders).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.daemon_checks import check_cpus, explain
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.docker_ops import BuilderError, daemon_facts
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.node_plan import plan_endpoints
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.reconcile import Reconciler
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.spec import desired_spec, validate_name
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore, default_root
from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
from ansible_collections.buildkit.fleet.plugins.module_utils._common.daemon_memo import DaemonMemo
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import connect, docker_host, sdk_problem
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.locking import LockTimeout, held
from ansible_collections.buildkit.fleet.plugins.module_utils._common.store_repair import check_root, entry_path, set_aside
from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import NodeError, connect_endpoints


def _client_key(endpoint, overrides):
    return repr((endpoint, sorted((overrides or {}).items())))


def default_client(clients, params):
    """The client of docker_host, shared with the builder nodes there (`clients` as BuilderRun keeps them)."""
    key = _client_key(docker_host(params), None)
    if key not in clients:
        clients[key] = connect(params)
    return clients[key]


class RunFailed(Exception):
    """The builder could not be converged; `details` (actions, differences, docker_sdk_missing) go into the result."""

    def __init__(self, msg, **details):
        super(RunFailed, self).__init__(msg)
        self.msg, self.details = msg, details


def config_text(params, store_root):
    """The buildkitd.toml content to use, or None; read before anything is created."""
    if params['buildkitd_config_inline'] is not None:
        return params['buildkitd_config_inline']
    path = params['buildkitd_config'] or os.path.join(store_root, 'buildkitd.default.toml')
    if not params['buildkitd_config'] and not os.path.isfile(path):
        return None
    try:
        with open(path, 'rb') as handle:
            return to_text(handle.read())
    except (IOError, OSError) as exc:
        raise SpecError("buildkitd_config: cannot read '%s': %s" % (path, exc))


def plan(params, store, endpoint):
    """(stored entry, corrupt-entry message, config text, wanted spec); validates every option, changes nothing."""
    stored = corrupt = text = spec = None
    try:
        stored = store.read(params['name'])
    except ValueError as exc:
        corrupt = 'buildx store entry %s is not valid JSON (%s)' % (entry_path(store.root, params['name']), exc)
    if params['state'] != 'absent':
        text = config_text(params, store.root)
        stored_names = [n['name'] for n in stored['nodes']] if stored else None
        spec = desired_spec(params, endpoint, stored_names, text)
    elif params.get('nodes'):
        spec = desired_spec(dict(params, driver_opts={}, serve=None, gc=None), endpoint)  # absent: files not needed
    return stored, corrupt, text, spec


class BuilderRun(object):
    """One builder of one module call. `clients` is shared between the builders of a call (one per endpoint)."""

    def __init__(self, params, check_mode, clients=None):
        self.params, self.check_mode = params, check_mode
        self.store = BuildxStore(params['buildx_config'] or default_root())
        self.endpoint = docker_host(params)
        self.shared_clients = {} if clients is None else clients
        self.stored = self.spec = None
        self.reconciler = None
        self.started = time.monotonic()

    def check(self):
        """Validate every option against the store and the files; raises SpecError, changes nothing."""
        params = self.params
        validate_name(params['name'])
        for option in ('bootstrap_timeout', 'lock_timeout'):
            if params[option] <= 0:
                raise SpecError("%s: must be a positive number of seconds, got '%s'" % (option, params[option]))
        bad_root = check_root(self.store.root)
        if bad_root:
            raise SpecError(bad_root)
        if params['image_archive'] and not os.path.isfile(params['image_archive']):
            raise SpecError("image_archive: '%s' is not a file on the target" % params['image_archive'])
        self.stored, _corrupt, _text, self.spec = plan(params, self.store, self.endpoint)

    def _connect(self, endpoints):
        """A client per node name, reaching every endpoint before anything changes (shared per endpoint)."""
        problem = sdk_problem()
        if problem:
            raise RunFailed(problem, docker_sdk_missing=True)
        clients, missing = {}, {}
        for node_name, (endpoint, overrides) in endpoints.items():
            key = _client_key(endpoint, overrides)
            if key in self.shared_clients:
                clients[node_name] = self.shared_clients[key]
            else:
                missing[node_name] = (endpoint, overrides)
        try:
            fresh = connect_endpoints(missing, self.params, local_first=True)
        except NodeError as exc:
            raise RunFailed(str(exc))
        for node_name, client in fresh.items():
            endpoint, overrides = missing[node_name]
            self.shared_clients[_client_key(endpoint, overrides)] = client
            clients[node_name] = client
        return clients

    def _lock_keys(self, clients):
        """One lock per builder name in the store, one per node container on its daemon."""
        keys = ['store:%s:%s' % (os.path.realpath(self.store.root), self.params['name'].lower())]
        for node_name, client in clients.items():
            keys.append('node:%s:%s' % (daemon_info(client).get('ID') or client.base_url, node_name))
        return keys

    def _set_corrupt_aside(self, corrupt):
        name, reconciler = self.params['name'], self.reconciler
        reconciler.actions.append('set aside corrupt store entry %s' % entry_path(self.store.root, name))
        if self.check_mode:
            return
        aside = set_aside(self.store.root, name)
        reconciler.notes.append('%s; moved it to %s%s' % (corrupt, aside, '' if self.params['state'] == 'absent'
                                                          else ' and wrote a new entry for the builder'))

    def _converge(self, clients):
        """Under the builder's locks: read the store again (another run may have changed it), then reconcile."""
        params, reconciler = self.params, self.reconciler
        stored, corrupt, text, spec = plan(params, self.store, self.endpoint)
        self.spec = spec
        reconciler.config_text = text
        endpoints = plan_endpoints(params, spec, stored, self.endpoint)
        clients.update(self._connect(dict((k, v) for k, v in endpoints.items() if k not in clients)))
        if corrupt:
            self._set_corrupt_aside(corrupt)
        if params['state'] == 'absent':
            before, after = reconciler.remove(stored, list(endpoints))
            return before, after, None
        infos = dict((name, daemon_info(clients[name])) for name in endpoints)
        too_many = check_cpus(spec, infos)
        if too_many:
            raise SpecError(too_many)
        facts = dict((name, daemon_facts(clients[name], infos[name])) for name in endpoints)
        return reconciler.ensure(spec, stored, facts)

    def run(self, diff=False):
        """Converge; the result dict of buildkit_builder (with `warnings`), or RunFailed. A connection that breaks
        under a request (an ssh:// or tcp:// endpoint dropping it) is made anew and the builder converged again:
        converging is idempotent, so what the broken attempt made is adopted (or removed if the task fails)."""
        try:
            return self._run_once(diff)
        except dc.BROKEN_CONNECTION as exc:
            broken, cause = self.reconciler, '%s: %s' % (type(exc).__name__, exc)
        self.shared_clients.clear()
        try:
            result = self._run_once(diff)
        except dc.BROKEN_CONNECTION as exc:
            self._roll_back(broken)
            raise RunFailed('the connection to the Docker daemon broke twice (%s: %s); run the task again'
                            % (type(exc).__name__, exc), actions=self._actions(broken),
                            differences=self.reconciler.differences if self.reconciler else [])
        except RunFailed:
            self._roll_back(broken)
            raise
        result['actions'] = self._actions(broken)
        result['changed'] = bool(result['actions'])
        result['differences'] = (broken.differences if broken else []) or result['differences']
        result['notes'].append('the connection to the Docker daemon broke once (%s); connected again and '
                               'converged the builder again' % cause)
        return result

    def _actions(self, broken):
        """The actions of the broken attempt (changes it made) and of the last one."""
        earlier = broken.actions if broken is not None and not self.check_mode else []
        return earlier + (self.reconciler.actions if self.reconciler is not broken else [])

    def _roll_back(self, broken):
        """The task fails: remove what the broken attempt created, as a failed attempt removes its own."""
        if broken is not None:
            try:
                broken._rollback()  # pylint: disable=protected-access
            except Exception:  # best effort: the daemon may be gone
                pass

    def _run_once(self, diff):
        clients = self._connect(plan_endpoints(self.params, self.spec, self.stored, self.endpoint))
        self.reconciler = Reconciler(clients, self.store, self.params, None, self.check_mode)
        reconciler = self.reconciler
        try:
            with held(self._lock_keys(clients), self.params['lock_timeout'], 'builder %s' % self.params['name']):
                before, after, record = self._converge(clients)
        except LockTimeout as exc:
            raise RunFailed(str(exc), actions=reconciler.actions, differences=reconciler.differences)
        except (SpecError, BuilderError, dc.APIError) as exc:
            msg = to_text(getattr(exc, 'explanation', None) or exc)
            if isinstance(exc, dc.APIError) or msg.startswith('creating container'):  # the daemon rejected something
                msg = explain(msg, self.spec)
            raise RunFailed(msg, actions=reconciler.actions, differences=reconciler.differences)
        result = dict(changed=bool(reconciler.actions), actions=reconciler.actions,
                      differences=reconciler.differences, notes=reconciler.notes, timings=reconciler.timings,
                      warnings=list(reconciler.warnings), duration=round(time.monotonic() - self.started, 3))
        if record is not None:
            result['builder'] = record
        if diff:
            result['diff'] = dict(before=before, after=after)
        return result


def daemon_info(client):
    """`docker info` of a client (what a converge reads of it: _common.daemon_memo), asked once per client."""
    info = getattr(client, 'buildkit_fleet_info', None)
    if info is None:
        info = client.buildkit_fleet_info = DaemonMemo().info(client)
    return info

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Many builders in one module run (buildkit_builders): check every item, compare the networks, converge, wait.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.docker_ops import (
    BuilderError, check_network, inspect_image, wait_ready)
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.driver_opts import DEFAULT_IMAGE
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.network_check import (  # noqa: F401 pylint: disable=unused-import
    NETWORK_ITEM_OPTIONS, network_differences)
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.options import (
    MUTUALLY_EXCLUSIVE, SHARED_OPTIONS, item_options)
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.run import BuilderRun, RunFailed, default_client
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.spec import container_name
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import (
    APIError, DOCKER_CONNECTION_ARGS, DockerConnectionError, NotFound, sdk_problem)
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import problem
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import normalized_text
from ansible_collections.buildkit.fleet.plugins.module_utils._common.python_requirements import (
    RequirementError, interpreter_state)
from ansible_collections.buildkit.fleet.plugins.module_utils._node.workers import detected_platforms

POLL_SECONDS = 1.0
TOML_LIBRARY_MISSING = 'needs Python 3.11+ or the tomli library'


def _inspect_network(client, name):
    try:
        return client.inspect_network(name)
    except NotFound:
        return None
    except APIError as exc:
        raise BatchError('cannot inspect network %s: %s' % (name, exc))


class BatchError(Exception):
    """The whole call fails before any builder changed; `details` go into the result."""

    def __init__(self, msg, **details):
        super(BatchError, self).__init__(msg)
        self.msg, self.details = msg, details


def folded_item(item, image_archive=None):
    """The role's item shape as buildkit_builder takes it: `network` folded into driver_opts.network, and
    image_archive (the batch's) for an item without its own."""
    item = dict(item)
    network = item.pop('network', None)
    if network not in (None, ''):
        if not isinstance(network, str):
            raise SpecError('network: must be the name of a Docker network, got %r' % (network,))
        opts = item.get('driver_opts') or {}
        if not isinstance(opts, dict):
            raise SpecError('driver_opts: must be a dictionary, got %r' % (opts,))
        if opts.get('network') not in (None, '', network):
            raise SpecError("network: '%s' and driver_opts.network: '%s' differ; give one of them"
                            % (network, opts['network']))
        item['driver_opts'] = dict(opts, network=network)
    if image_archive and not item.get('image_archive') and item.get('state', 'present') != 'absent':
        item['image_archive'] = image_archive
    return item


def summary(results, builders):
    """One line of facts per builder: name, state, changed, status, buildkit_version, platforms, network."""
    rows = []
    for result, item in zip(results, builders):
        nodes = (result.get('builder') or {}).get('nodes') or [{}]
        node = nodes[0]
        item = folded_item(item) if isinstance(item, dict) else {}
        rows.append(dict(name=result['name'], state=result['state'], changed=result['changed'],
                         status=node.get('status') or 'absent', buildkit_version=node.get('buildkit_version') or '',
                         platforms=node.get('platforms') or [],
                         network=(item.get('driver_opts') or {}).get('network') or ''))
    return rows


def _label(index, item):
    name = item.get('name') if isinstance(item, dict) else None
    return 'builders[%d]%s' % (index, ' (%s)' % name if isinstance(name, str) and name else '')


class Batch(object):
    def __init__(self, params, check_mode, diff):
        self.params, self.check_mode, self.diff = params, check_mode, diff
        self.shared = dict((k, params[k]) for k in list(SHARED_OPTIONS) + list(DOCKER_CONNECTION_ARGS))
        self.clients = {}  # one Docker client per endpoint, shared by the builders
        self.runs, self.warnings, self.wanted_platforms = [], [], []

    def check(self):
        """Validate every item (types, values, files, the store) before anything changes; BatchError lists each bad one."""
        errors, seen, environment, ports = [], {}, [], {}
        options = item_options()
        validator = ArgumentSpecValidator(options, mutually_exclusive=MUTUALLY_EXCLUSIVE)
        for index, item in enumerate(self.params['builders']):
            label = _label(index, item)
            if not isinstance(item, dict):
                errors.append('%s: each item must be a dictionary of builder options, got %s %r'
                              % (label, type(item).__name__, item))
                continue
            try:
                item = folded_item(item, self.params.get('image_archive'))
            except SpecError as exc:
                errors.append('%s: %s' % (label, exc))
                continue
            misplaced = sorted(k for k in item if k in self.shared)
            found = problem(options, item)
            checked = validator.validate(item)
            if misplaced or found or checked.error_messages:
                errors.append('%s: %s' % (label, '; '.join(
                    (['%s: give it once for all builders, not per item' % k for k in misplaced])
                    + ([found] if found else []) + list(checked.error_messages))))
                continue
            run = BuilderRun(dict(checked.validated_parameters, **self.shared), self.check_mode, self.clients)
            try:
                run.check()
            except SpecError as exc:  # TOML without tomllib/tomli: this Python's lack, said after the interpreter check
                (environment if TOML_LIBRARY_MISSING in str(exc) else errors).append('%s: %s' % (label, exc))
                continue
            key = run.params['name'].lower()
            if key in seen:
                errors.append('%s: name %s is also given by %s (buildx names are case-insensitive)'
                              % (label, run.params['name'], seen[key]))
            seen[key] = label
            serve = run.params.get('serve')
            if serve and run.params['state'] != 'absent':
                if serve['port'] in ports:
                    errors.append('%s: serve.port %d is also given by %s; each serving builder of a host needs its '
                                  'own port' % (label, serve['port'], ports[serve['port']]))
                ports.setdefault(serve['port'], label)
            self.runs.append(run)
        try:
            self.wanted_platforms = [normalized_text(p) for p in self.params['wait_for_platforms']]
        except SpecError as exc:
            errors.append('wait_for_platforms: %s' % exc)
        for option in ('platforms_timeout', 'lock_timeout'):
            if self.params[option] <= 0:
                errors.append("%s: must be a positive number of seconds, got '%s'" % (option, self.params[option]))
        if errors:
            raise BatchError('; '.join(errors))
        self.check_interpreter()
        if environment:
            raise BatchError('; '.join(environment))

    def check_interpreter(self):
        """BatchError(docker_sdk_missing=True) when this Python lacks the Docker SDK or python_requirements."""
        problem_sdk = sdk_problem()
        try:
            state = interpreter_state(self.params.get('python_requirements') or [])
        except RequirementError as exc:
            raise BatchError('python_requirements: %s' % exc)
        if problem_sdk or state['missing']:
            raise BatchError('; '.join([problem_sdk] if problem_sdk else []
                                       + (['missing on %s: %s' % (state['python'], ', '.join(state['missing']))]
                                          if state['missing'] else [])),
                             docker_sdk_missing=True, missing_requirements=state['missing'],
                             python_version=state['python_version'])

    def missing_images(self):
        """The BuildKit images of present builders without image_archive that the Docker daemon lacks."""
        wanted = []
        for run in self.runs:
            params = run.params
            if params['state'] == 'absent' or params.get('nodes') or params.get('image_archive'):
                continue
            image = params['driver_opts'].get('image') or DEFAULT_IMAGE
            if image not in wanted:
                wanted.append(image)
        if not wanted:
            return []
        try:
            client = default_client(self.clients, self.params)
        except DockerConnectionError as exc:
            raise BatchError(str(exc))
        try:
            return [image for image in wanted if inspect_image(client, image) is None]
        except APIError as exc:
            raise BatchError('cannot inspect images %s: %s' % (', '.join(wanted), exc))

    def pending_networks(self):
        """The networks of `networks` that are missing or differ, each with what differs. A builder's own network
        that is not in `networks` must exist (outside check mode), else BatchError names the builder."""
        listed = dict((n['name'], n) for n in self.params['networks'])
        joined = [(index, run, run.params['driver_opts'].get('network')) for index, run in enumerate(self.runs)
                  if run.params['state'] != 'absent' and not run.params.get('nodes')]
        joined = [(i, r, n) for i, r, n in joined if n and n not in listed]
        if not listed and not joined:
            return []
        try:
            client = default_client(self.clients, self.params)
        except DockerConnectionError as exc:
            raise BatchError(str(exc))
        pending = []
        for name, wanted in listed.items():
            differences = network_differences(dict((k, v) for k, v in wanted.items() if v is not None),
                                              _inspect_network(client, name))
            if differences:
                pending.append({'name': name, 'differences': differences})
        missing = []
        for index, run, network in joined:
            try:
                check_network(client, network)  # built-in modes pass; a missing user network is named
            except BuilderError as exc:
                missing.append('%s: %s' % (_label(index, run.params), exc))
            except APIError as exc:
                raise BatchError('cannot inspect network %s: %s' % (network, exc))
        if missing and not self.check_mode:  # check mode: the builder warns and is predicted as if it existed
            raise BatchError('; '.join(missing))
        return pending

    def converge(self):
        """Each builder in order; a failed one is reported and the others still run."""
        results = []
        for run in self.runs:
            name, state = run.params['name'], run.params['state']
            try:
                result = run.run(diff=self.diff)
            except RunFailed as exc:
                results.append(dict(exc.details, name=name, state=state, changed=bool(exc.details.get('actions')),
                                    failed=True, msg=exc.msg))
                continue
            self.warnings.extend('builder %s: %s' % (name, w) for w in result.pop('warnings'))
            result = dict(result, name=name, state=state)
            if state == 'present' and self.wanted_platforms and not self.check_mode:
                self._wait_for_platforms(run, result)
            results.append(result)
        return results

    def _wait_for_platforms(self, run, result):
        """Poll the first node until it lists every wanted platform (BuildKit re-probes emulators)."""
        node = result['builder']['nodes'][0]
        client = run.reconciler.clients[node['name']]
        started = time.monotonic()
        deadline = started + self.params['platforms_timeout']
        missing = [p for p in self.wanted_platforms if p not in node['platforms']]
        while missing and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            try:
                workers = wait_ready(client, container_name(node['name']), max(1, deadline - time.monotonic()), fresh=True)
            except BuilderError as exc:
                result.update(failed=True, msg=str(exc))
                return
            node['platforms'] = node['fixed_platforms'] + [
                p for p in detected_platforms(workers) if p not in node['fixed_platforms']]
            missing = [p for p in self.wanted_platforms if p not in node['platforms']]
            result['timings']['platforms'] = round(time.monotonic() - started, 3)
        if missing:
            result.update(failed=True, msg='BuildKit lists %s but not %s after %ss (platforms_timeout)'
                          % (', '.join(node['platforms']), ', '.join(missing), self.params['platforms_timeout']))

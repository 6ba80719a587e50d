# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One buildkit_bake task: resolve with bake, fingerprint every target, find the stale ones, build them in one
bake call, report per target.

SpecError (bad input, nothing built) and TaskFailed (a failed bake) become fail_json in `run_module` only.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import tempfile
import threading
import time

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import command as bcmd
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import fingerprints as fps
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import graph
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import placing as bplacing
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import plan as bplan
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import resolve as bresolve
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import results as bres
from ansible_collections.buildkit.fleet.plugins.module_utils._bake.outputs import Checker
from ansible_collections.buildkit.fleet.plugins.module_utils._build import direct_route as route
from ansible_collections.buildkit.fleet.plugins.module_utils._build import node_health as health
from ansible_collections.buildkit.fleet.plugins.module_utils._build import node_view
from ansible_collections.buildkit.fleet.plugins.module_utils._build import process
from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as build_results
from ansible_collections.buildkit.fleet.plugins.module_utils._build.fingerprint import canonical
from ansible_collections.buildkit.fleet.plugins.module_utils._build.job import buildx_base, connection_env
from ansible_collections.buildkit.fleet.plugins.module_utils._build.placement import HEALTHY
from ansible_collections.buildkit.fleet.plugins.module_utils._build.placing import make_plan, placement_timeout_problem
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore, default_root
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError, TaskFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._common.locking import LockTimeout, held
from ansible_collections.buildkit.fleet.plugins.module_utils._common.step_timer import StepTimer
from ansible_collections.buildkit.fleet.plugins.module_utils._common.store_repair import check_root


class BakeRun(object):

    def __init__(self, params, check_mode, tmpdir, run_command, diff=False, started=None):
        self.params, self.check_mode, self.diff = params, check_mode, diff
        self.run_command = run_command
        self.tmpdir = tmpdir
        self.started = time.monotonic() if started is None else started
        self.timings = StepTimer()
        self.root = params['buildx_config'] or default_root()
        self.stored = None

    def check(self):
        params = self.params
        problem = placement_timeout_problem(params)
        if problem:
            raise SpecError(problem)
        for problem in (bcmd.check_options(params), check_root(self.root), bresolve.check_files(params)):
            if problem:
                raise SpecError(problem)
        try:
            stored = BuildxStore(self.root).read(params['builder'])
        except ValueError as exc:
            raise SpecError('builder: buildx store entry of builder %s is not valid JSON: %s' % (params['builder'], exc))
        self.stored = stored
        if stored is None:
            raise SpecError("builder: '%s' not found in the buildx store %s: create it first with the "
                            "buildkit.fleet.buildkit_builder module (or docker buildx create)" % (params['builder'], self.root))

    def run(self):
        params = self.params
        self.check()
        env = connection_env(params, self.tmpdir)
        env.update(bcmd.variables_env(params))
        base = buildx_base(params, env)
        self.timings.step('check')
        # bake --print through a copy of the builder's entry: it would write .buildNodeID into the user's store
        directory = os.path.join(tempfile.mkdtemp(prefix='print-', dir=self.tmpdir), 'store')
        print_env = dict(env, BUILDX_CONFIG=node_view.write_view(
            directory, self.root, params['builder'], self.stored['raw'],
            [(node['name'], None) for node in self.stored.get('nodes') or []]))
        resolved = bresolve.resolve(self.run_command, base, params, print_env)
        targets = resolved['target']
        requested = bresolve.requested_targets(params, resolved)
        problem = bresolve.check_entitlements(params, targets)
        if problem:
            raise SpecError(problem)
        try:
            order = graph.build_order(targets)
        except graph.GraphError as exc:
            raise SpecError('files: %s' % exc)
        self.timings.step('resolve')
        fingerprinter = fps.Fingerprinter(params['working_dir'], writable=not self.check_mode)
        found = fps.all_targets(fingerprinter, targets, order)
        fingerprinter.save()
        variables = dict((k, fps.short(v)) for k, v in bcmd.variables_env(params).items())
        for name in found:
            found[name][2]['variables'] = variables
        self.timings.step('fingerprint')
        keys = ['bake:%s:%s:%s' % (os.path.realpath(self.root), params['builder'].lower(), found[n][0]) for n in requested]
        try:
            with held(keys, params['build_timeout'], 'bake of %s on builder %s' % (', '.join(requested), params['builder'])):
                self.timings.step('lock')
                return self._under_lock(base, env, targets, requested, found)
        except LockTimeout as exc:
            raise TaskFailed(str(exc), built_targets=[])

    def _finish(self, result, **fields):
        result.update(fields)
        result['timings'] = self.timings.spent
        result['duration'] = round(time.monotonic() - self.started, 3)
        return result

    def _under_lock(self, base, env, targets, requested, found):
        params = self.params
        checker = Checker(params, env, base, params['working_dir'], writable=not self.check_mode)
        checker.run_command = self.run_command
        checks, known, recorded = {}, {}, {}
        checker.prefetch([targets[n] for n in requested])
        for name in requested:
            reason, inputs, facts = checker.check(name, targets[name], found[name][0])
            checks[name], known[name], recorded[name] = (reason, inputs), facts, inputs
        if not self.check_mode:
            checker.registry.cache.save()
        self.timings.step('outputs')
        stale, order = bplan.stale_targets(requested, targets, checks, dict((n, found[n][2]) for n in found),
                                           params['rebuild'], bcmd.variables_env(params))
        build_list = [n for n in order if n in stale]
        per = {}
        for name in order:
            per[name] = {'built': False, 'stale': name in stale, 'fingerprint': found[name][0],
                         'reason': '; '.join(stale[name]) if name in stale else
                         'fingerprint %s matches and every output holds it' % found[name][0],
                         'reasons': stale.get(name, []), 'tags': bcmd.tags(targets[name]),
                         'depends_on': graph.dependencies(targets[name])}
            per[name].update(known[name])
        result = {'targets': per, 'order': order, 'stale_targets': build_list, 'built_targets': [],
                  'skipped_targets': [n for n in order if n not in stale], 'definition': targets}
        if self.diff:
            result['diff'] = bplan.diff(order, stale, found, recorded)
        if not build_list:
            return self._finish(result, changed=False, command=[])
        # placement after the skip decision: a run that builds nothing asks no node
        placed = self._place(base, env, targets, build_list)
        self._report_placement(result, placed)
        self.timings.step('placement')
        if self.check_mode:
            first = placed['calls'][0]
            labels = self._labels(first[1], targets, found)
            result['command'] = bcmd.command_words(bcmd.build_argv(base, self.params, os.path.join(
                self.tmpdir, 'metadata.json'), first[1], labels))
            return self._finish(result, changed=True)
        return self._build(base, env, targets, found, build_list, result, checker, placed)

    def _labels(self, build_list, targets, found):
        used = graph.closure(build_list, targets)
        return dict((n, (found[n][0], canonical(found[n][2]))) for n in used)

    # --- placement ----------------------------------------------------------------------------
    def _probe(self, base, env):
        bound = self.params.get('placement_timeout') or 10

        def view_inspect(name, timeout):
            directory = os.path.join(tempfile.mkdtemp(prefix='probe-', dir=self.tmpdir), 'store')
            root = node_view.write_view(directory, self.root, self.params['builder'], self.stored['raw'], [(name, None)])
            return process.run(self.run_command, list(base) + ['inspect', self.params['builder'], '--timeout', '%ds' % timeout],
                               dict(env, BUILDX_CONFIG=root), timeout=timeout + 5)
        return health.prober(self.stored, self.params, bound, view_inspect)

    def _place(self, base, env, targets, build_list, answers=None):
        """{'groups', 'plans' (by root), 'calls' [(key, targets)], 'answers'}: each dependency group of the stale
        targets placed by its root (nodes asked once for all groups)."""
        params = self.params
        groups = bplacing.dependency_groups(build_list, targets)
        probe = self._probe(base, env)
        known = dict(answers or {})
        plans = {}
        for root, members in groups:
            plan = make_plan(bplacing.group_params(params, members, targets), self.stored,
                             bplacing.group_platforms(members, targets),
                             bplacing.target_identity(params['working_dir'], root, targets[root]), probe, known)
            known.update(plan.answers)
            plans[root] = plan
        return {'groups': groups, 'plans': plans, 'calls': bplacing.calls(groups, plans, build_list), 'answers': known}

    def _report_placement(self, result, placed):
        mode = 'buildx' if self.params.get('placement') == 'buildx' else 'affinity'
        asked = {}
        for plan in placed['plans'].values():
            asked.update(plan.health)
        notes = sorted(set(p.note for p in placed['plans'].values() if p.note))
        top = {'mode': mode, 'applied': any(key is not None for key, _members in placed['calls']),
               'nodes_asked': dict(sorted(asked.items())),
               'calls': [{'nodes': [node for node, _platforms in key] if key else [], 'targets': list(members)}
                         for key, members in placed['calls']]}
        if notes:
            top['note'] = '; '.join(notes)
        result['placement'] = top
        for root, members in placed['groups']:
            for name in members:
                result['targets'][name]['placement'] = bplacing.target_entry(placed['plans'][root], root)

    def _call(self, base, env, targets, found, key, members, index, direct=True):
        """One bake call of `members` (through a view of the chosen nodes when key is not None; straight to their
        buildkitd sockets when they run on the local daemon, see _build.direct_route): (rc, stderr, metadata, argv)."""
        params = self.params
        metadata_file = os.path.join(self.tmpdir, 'bake-metadata.json' if index == 0 else 'bake-metadata-%d.json' % index)
        argv = bcmd.build_argv(base, params, metadata_file, members, self._labels(members, targets, found))
        extra = dict(env)
        chosen = [(node, list(platforms) if platforms else None) for node, platforms in key] if key is not None else None
        store, sockets = route.build_store(self.tmpdir, self.root, params['builder'], self.stored, chosen, direct)
        if store:
            extra['BUILDX_CONFIG'] = store
        rc, _out, err = process.run(self.run_command, argv, extra, timeout=params['build_timeout'])
        if rc != 0 and sockets and key is None and not route.still_serving(sockets):
            # a node stopped or restarted during the call: buildx's route boots it
            return self._call(base, env, targets, found, key, members, index, direct=False)
        metadata = {}
        if rc == 0:
            try:
                with open(metadata_file, 'rb') as handle:
                    metadata = build_results.load_metadata(to_text(handle.read()))
            except (IOError, OSError):
                metadata = {}
        return rc, err, metadata, argv

    def _run_calls(self, base, env, targets, found, calls, first_index):
        """Run the calls, in parallel when there are several: [(key, members, (rc, err, metadata, argv))]."""
        outcome = [None] * len(calls)

        def work(position):
            key, members = calls[position]
            try:
                outcome[position] = self._call(base, env, targets, found, key, members, first_index + position)
            except Exception as exc:  # reported as a failed call below, never lost in a thread
                outcome[position] = (1, 'ERROR: %s' % exc, {}, [])
        if len(calls) == 1:
            work(0)
        else:
            threads = [threading.Thread(target=work, args=(position,)) for position in range(len(calls))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return [(calls[i][0], calls[i][1], outcome[i]) for i in range(len(calls))]

    def _after_failure(self, base, env, targets, placed, key, members):
        """A new placement of the failed call's targets without its nodes that stopped answering, or None."""
        if key is None:
            return None
        now = self._probe(base, env)([node for node, _platforms in key])
        down = dict((name, state) for name, (state, _found) in now.items() if state != HEALTHY)
        if not down:
            return None
        answers = dict(placed['answers'])
        for name, state in down.items():
            answers[name] = ('failed during the build (%s)' % state, None)
        retry = self._place(base, env, targets, members, answers)
        return retry if all(k is not None for k, _m in retry['calls']) else None

    def _build(self, base, env, targets, found, build_list, result, checker, placed):
        params = self.params
        started = time.monotonic()
        pending, index, attempts = list(placed['calls']), 0, 0
        metadata, steps, stderr_all, succeeded = {}, {}, [], []
        while pending:
            done = self._run_calls(base, env, targets, found, pending, index)
            index += len(pending)
            pending = []
            for key, members, (rc, err, meta, argv) in done:
                steps.update(bres.steps_by_target(err, members))
                if rc == 0:
                    metadata.update(meta)
                    stderr_all.append(err)
                    succeeded.append((key, members, bcmd.command_words(argv)))
                    continue
                attempts += 1
                retry = None
                if rc is not None and attempts < len(self.stored.get('nodes') or []):
                    retry = self._after_failure(base, env, targets, placed, key, members)
                if retry is not None:
                    placed['plans'].update(retry['plans'])
                    placed['groups'] = [g for g in placed['groups'] if g[0] not in retry['plans']] + retry['groups']
                    placed['answers'].update(retry['answers'])
                    pending.extend(retry['calls'])
                    continue
                placed['calls'] = [(k, m) for k, m, _w in succeeded] + [(key, members)]
                self._report_placement(result, placed)
                self._fail(rc, err, build_list, bcmd.command_words(argv), steps, started, result)
        placed['calls'] = [(k, m) for k, m, _w in succeeded]
        self._report_placement(result, placed)
        if len(succeeded) > 1:
            for call, (_k, _m, words) in zip(result['placement']['calls'], succeeded):
                call['command'] = words
        result['command'] = succeeded[0][2]
        self.timings.step('build')
        progress = build_results.parse_progress('\n'.join(stderr_all))
        if params.get('metadata_file'):
            if len(succeeded) == 1 and index == 1:
                shutil.copyfile(os.path.join(self.tmpdir, 'bake-metadata.json'), params['metadata_file'])
            else:
                with open(params['metadata_file'], 'w') as handle:
                    json.dump(metadata, handle, indent=2, sort_keys=True)
        checker.remote_cache = {}
        checker.prefetch([targets[n] for n in build_list])
        for name in build_list:
            entry = result['targets'][name]
            meta = metadata.get(name) or {}
            summary = bres.summary(meta)
            entry.update(built=True, steps=steps.get(name), image_id=summary['image_id'], digest=summary['digest'])
            if summary['platform_digests']:
                entry['platform_digests'] = summary['platform_digests']
            if any(o['kind'] == 'push' for o in bcmd.outputs(targets[name])) and entry['tags']:
                found_remote = checker.remote(entry['tags'][0])
                if found_remote and any(found_remote['platform_digests'].values()):
                    entry['platform_digests'] = found_remote['platform_digests']
            entry['records'] = checker.write_records(targets[name], found[name][0], found[name][2], summary)
            for key in ('image_id', 'digest', 'platform_digests'):
                if entry.get(key) is None:
                    entry.pop(key, None)
        checker.close()
        self.timings.step('results')
        result['built_targets'] = list(build_list)
        result['metadata'] = metadata
        result['warnings_build'] = progress['warnings']
        return self._finish(result, changed=True, build_duration=round(time.monotonic() - started, 3))

    def _fail(self, rc, err, build_list, command, steps, started, result):
        params = self.params
        progress = build_results.parse_progress(err)
        step, error, log_tail = build_results.failure(progress)
        message = bres.failure_message(err)
        if rc is None:
            message = 'bake did not finish within build_timeout=%ss' % params['build_timeout']
        elif any(word in message for word in ('entitlement', 'privileges')):
            raise SpecError(bresolve.error_message(params, message))
        elif step:
            message = "bake failed at step '%s': %s" % (step, error)
        details = dict(failed_step=step, log_tail=log_tail, stale_targets=build_list, built_targets=[],
                       command=command, steps=steps,
                       build_duration=round(time.monotonic() - started, 3))
        if result.get('placement', {}).get('mode') != 'buildx':
            details['placement'] = result['placement']
        raise TaskFailed(message, **details)


def run_module(module):
    """Run the bake of an AnsibleModule of buildkit_bake and exit it (exit_json or fail_json)."""
    started = time.monotonic()
    run = BakeRun(module.params, module.check_mode, module.tmpdir, module.run_command, diff=module._diff, started=started)
    try:
        result = run.run()
    except SpecError as exc:
        module.fail_json(msg=str(exc), built_targets=[])
    except TaskFailed as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(**result)

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

import os
import shutil
import time

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import command as bcmd
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import fingerprints as fps
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import graph
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import plan as bplan
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import resolve as bresolve
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import results as bres
from ansible_collections.buildkit.fleet.plugins.module_utils._bake.outputs import Checker
from ansible_collections.buildkit.fleet.plugins.module_utils._build import process
from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as build_results
from ansible_collections.buildkit.fleet.plugins.module_utils._build.fingerprint import canonical
from ansible_collections.buildkit.fleet.plugins.module_utils._build.job import buildx_base, connection_env
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore, default_root
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError, TaskFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._common.locking import LockTimeout, held
from ansible_collections.buildkit.fleet.plugins.module_utils._common.store_repair import check_root


class _Timings(object):
    def __init__(self):
        self.spent = {}
        self._mark = time.monotonic()

    def step(self, name):
        now = time.monotonic()
        self.spent[name] = round(self.spent.get(name, 0) + now - self._mark, 3)
        self._mark = now


class BakeRun(object):

    def __init__(self, params, check_mode, tmpdir, run_command, diff=False, started=None):
        self.params, self.check_mode, self.diff = params, check_mode, diff
        self.run_command = run_command
        self.tmpdir = tmpdir
        self.started = time.monotonic() if started is None else started
        self.timings = _Timings()
        self.root = params['buildx_config'] or default_root()

    def check(self):
        params = self.params
        for problem in (bcmd.check_options(params), check_root(self.root), bresolve.check_files(params)):
            if problem:
                raise SpecError(problem)
        try:
            stored = BuildxStore(self.root).read(params['builder'])
        except ValueError as exc:
            raise SpecError('builder: buildx store entry of builder %s is not valid JSON: %s' % (params['builder'], exc))
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
        resolved = bresolve.resolve(self.run_command, base, params, env)
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
        if not build_list or self.check_mode:
            result['command'] = []
            if build_list:
                labels = self._labels(build_list, targets, found)
                result['command'] = bcmd.command_words(bcmd.build_argv(base, self.params, os.path.join(
                    self.tmpdir, 'metadata.json'), build_list, labels))
            return self._finish(result, changed=bool(build_list))
        return self._build(base, env, targets, found, build_list, result, checker)

    def _labels(self, build_list, targets, found):
        used = graph.closure(build_list, targets)
        return dict((n, (found[n][0], canonical(found[n][2]))) for n in used)

    def _build(self, base, env, targets, found, build_list, result, checker):
        params = self.params
        metadata_file = os.path.join(self.tmpdir, 'bake-metadata.json')
        argv = bcmd.build_argv(base, params, metadata_file, build_list, self._labels(build_list, targets, found))
        result['command'] = bcmd.command_words(argv)
        started = time.monotonic()
        rc, _out, err = process.run(self.run_command, argv, env, timeout=params['build_timeout'])
        self.timings.step('build')
        steps = bres.steps_by_target(err, build_list)
        progress = build_results.parse_progress(err)
        if rc is None or rc != 0:
            step, error, log_tail = build_results.failure(progress)
            message = bres.failure_message(err)
            if rc is None:
                message = 'bake did not finish within build_timeout=%ss' % params['build_timeout']
            elif any(word in message for word in ('entitlement', 'privileges')):
                raise SpecError(bresolve.error_message(params, message))
            elif step:
                message = "bake failed at step '%s': %s" % (step, error)
            raise TaskFailed(message, failed_step=step, log_tail=log_tail, stale_targets=build_list,
                             built_targets=[], command=result['command'], steps=steps,
                             build_duration=round(time.monotonic() - started, 3))
        try:
            with open(metadata_file, 'rb') as handle:
                metadata = build_results.load_metadata(to_text(handle.read()))
        except (IOError, OSError):
            metadata = {}
        if params.get('metadata_file'):
            shutil.copyfile(metadata_file, params['metadata_file'])
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

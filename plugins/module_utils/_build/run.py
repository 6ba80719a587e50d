# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One buildkit_build task from its parameters to its result: check, fingerprint, lock, skip or build, record.

`run_module(module)` is all the module does after parsing its arguments (as kubernetes.core's k8s module hands
its module to `module_utils/k8s/runner.py`): the secrets are registered as no_log values, the BuildRun raises
SpecError for bad inputs and TaskFailed for failures, and only here are they turned into fail_json, with every
secret value redacted from the message and the details. Temporary files (buildx's metadata file, the links to
TLS files) live in the module's tmpdir, which Ansible removes when the module exits.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import tempfile
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._build import command as cmd
from ansible_collections.buildkit.fleet.plugins.module_utils._build import direct_route as route
from ansible_collections.buildkit.fleet.plugins.module_utils._build import input_checks as checks
from ansible_collections.buildkit.fleet.plugins.module_utils._build import node_health as health
from ansible_collections.buildkit.fleet.plugins.module_utils._build import node_view
from ansible_collections.buildkit.fleet.plugins.module_utils._build import outputs as outs
from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as res
from ansible_collections.buildkit.fleet.plugins.module_utils._build.job import Build
from ansible_collections.buildkit.fleet.plugins.module_utils._build.placement import HEALTHY
from ansible_collections.buildkit.fleet.plugins.module_utils._build.placing import make_plan, placement_timeout_problem
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import default_root
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError, TaskFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._common.locking import LockTimeout, held
from ansible_collections.buildkit.fleet.plugins.module_utils._common.step_timer import StepTimer


class BuildRun(object):
    """One build of one module call; `run()` returns the result or raises SpecError / TaskFailed."""

    def __init__(self, params, check_mode, tmpdir, run_command, diff=False, started=None):
        self.params, self.check_mode, self.diff = params, check_mode, diff
        self.run_command = run_command  # AnsibleModule.run_command
        self.started = time.monotonic() if started is None else started
        self.tmpdir = tmpdir
        self.timings = StepTimer()

    def check(self):
        """Every input before anything runs; raises SpecError."""
        params = self.params
        if params['build_timeout'] <= 0:
            raise SpecError("build_timeout: must be a positive number of seconds, got '%s'" % params['build_timeout'])
        problem = placement_timeout_problem(params)
        if problem:
            raise SpecError(problem)
        problem = checks.first_problem(params, params['buildx_config'] or default_root())
        if problem:
            raise SpecError(problem)

    def run(self):
        self.check()
        job = Build(self.params, self.check_mode, self.tmpdir, self.run_command)
        job.check_builder()
        self.timings.step('check')
        fingerprint, details = job.compute_fingerprint()
        self.timings.step('fingerprint')
        try:
            argv, env, stdin = cmd.build_argv(job.base, self.params, job.metadata_file, fingerprint)
        except cmd.CommandError as exc:
            raise SpecError(str(exc))
        # identical builds on one builder run one at a time: the first builds, the others find its outputs
        key = 'build:%s:%s:%s' % (os.path.realpath(job.root), self.params['builder'].lower(), fingerprint)
        try:
            with held([key], self.params['build_timeout'], 'build %s on builder %s' % (fingerprint, self.params['builder'])):
                self.timings.step('lock')
                return self._under_lock(job, fingerprint, details, argv, env, stdin)
        except LockTimeout as exc:
            raise TaskFailed(str(exc), fingerprint=fingerprint, built=False)

    def _finish(self, result, **fields):
        result.update(fields)
        result['timings'] = self.timings.spent
        result['duration'] = round(time.monotonic() - self.started, 3)
        return result

    def _under_lock(self, job, fingerprint, details, argv, env, stdin):
        """Skip when every output holds the fingerprint, else build and record the outputs."""
        params = self.params
        reasons, known = job.out_of_date(fingerprint)
        self.timings.step('outputs')
        result = dict(fingerprint=fingerprint, fingerprint_details=details, tags=params['tags'] or [], command=argv)
        if self.diff:
            result['diff'] = dict(before={'outputs': reasons or ['up to date']},
                                  after={'fingerprint': fingerprint, 'build': bool(reasons)})
        if not reasons:
            result.update(known)
            skipped = 'fingerprint %s matches and every output holds it' % fingerprint
            return self._finish(result, changed=False, built=False, reason=skipped, skipped_reason=skipped)
        reason = '; '.join(reasons)
        # placement after the skip decision: a skipped build contacts no node
        plan = self._plan(job)
        result['placement'] = plan.result()
        self.timings.step('placement')
        if self.check_mode:
            return self._finish(result, changed=True, built=False, reason=reason, skipped_reason=None)

        metadata, progress, steps, plan = self._build_placed(job, plan, fingerprint, argv, env, stdin)
        result['placement'] = plan.result(res.step_counts_by_platform(progress))
        self.timings.step('build')
        summary = res.summarize_metadata(metadata)
        summary['platform_digests'] = job.platform_digests()
        records = []
        for output in outs.file_outputs(params['outputs']):
            if os.path.lexists(output['dest']):
                records.append(outs.write_record(output, fingerprint, summary))
        self.timings.step('results')
        return self._finish(result, changed=True, built=True, reason=reason, skipped_reason=None, metadata=metadata,
                            steps=steps, image_id=summary['image_id'], digest=summary['digest'],
                            platform_digests=summary['platform_digests'], records=records,
                            warnings_build=progress['warnings'])

    # --- placement ----------------------------------------------------------------------------
    def _probe(self, job):
        bound = self.params.get('placement_timeout') or 10

        def view_inspect(name, timeout):
            directory = os.path.join(tempfile.mkdtemp(prefix='probe-', dir=self.tmpdir), 'store')
            root = node_view.write_view(directory, job.root, self.params['builder'], job.stored['raw'], [(name, None)])
            return job.run(job.base + ['inspect', self.params['builder'], '--timeout', '%ds' % timeout],
                           timeout=timeout + 5, extra_env={'BUILDX_CONFIG': root})
        return health.prober(job.stored, self.params, bound, view_inspect)

    def _plan(self, job, answers=None):
        return make_plan(self.params, job.stored, job.platforms(), job.identity(), self._probe(job), answers)

    def _build_placed(self, job, plan, fingerprint, argv, env, stdin):
        """Build on the planned nodes (through a view of them; straight to their buildkitd sockets when they run
        on the local daemon, see direct_route); when the build fails and a node it used no longer answers, the
        next node in hash order takes it."""
        attempts, direct = 0, True
        while True:
            extra = dict(env)
            store, sockets = route.build_store(self.tmpdir, job.root, self.params['builder'], job.stored,
                                               plan.assignments if plan.applied else None, direct)
            if store:
                extra['BUILDX_CONFIG'] = store
            plan.route = 'buildkitd socket' if sockets else 'buildx'
            try:
                metadata, progress, steps = job.build(fingerprint, argv, extra, stdin)
                return metadata, progress, steps, plan
            except TaskFailed as exc:
                if sockets and not plan.applied and not route.still_serving(sockets):
                    direct = False  # the node stopped or restarted during the build: buildx's route boots it
                    continue
                attempts += 1
                retry = self._after_failure(job, plan) if plan.applied and attempts < len(job.stored['nodes']) else None
                if retry is None:
                    if plan.mode != 'buildx':
                        exc.details.setdefault('placement', plan.result())
                    raise
                plan = retry

    def _after_failure(self, job, plan):
        """A new plan without the nodes that stopped answering during the build, or None (the build failed)."""
        now = self._probe(job)(plan.nodes())
        down = dict((name, state) for name, (state, _found) in now.items() if state != HEALTHY)
        if not down:
            return None
        answers = dict(plan.answers)
        for name, state in down.items():
            answers[name] = ('failed during the build (%s)' % state, None)
        retry = self._plan(job, answers)
        return retry if retry.applied else None


def run_module(module):
    """Run the build of an AnsibleModule of buildkit_build and exit it (exit_json or fail_json)."""
    started = time.monotonic()
    secrets = checks.secret_values(module.params)  # whatever their source: value, env or src
    module.no_log_values.update(secrets)
    run = BuildRun(module.params, module.check_mode, module.tmpdir, module.run_command, diff=module._diff, started=started)
    try:
        result = run.run()
    except SpecError as exc:
        module.fail_json(msg=cmd.redact(str(exc), secrets))
    except TaskFailed as exc:
        module.fail_json(msg=cmd.redact(exc.msg, secrets), **cmd.redact(exc.details, secrets))
    module.exit_json(**cmd.redact(result, secrets))

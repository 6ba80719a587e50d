#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: buildkit_build
short_description: Build images on a BuildKit builder with buildx, skipping builds whose inputs did not change
version_added: 0.1.0
description:
  - Runs C(docker buildx build --builder <builder>) (or a standalone C(buildx) binary) on the target, so every
    buildx feature is there - incremental context transfer, secrets and ssh sessions, attestations, every exporter -
    and adds declarative options, idempotence, check mode and structured results.
  - Before building it computes a reproducible B(fingerprint) of everything that decides the result - the
    context files (contents, relative paths, symlink targets and the exec bit only; not owners, mtimes or
    umask-dependent modes), honouring C(.dockerignore) as buildx does, the Dockerfile, and the input options.
    The same sources on another machine or in another clone give the same fingerprint.
  - The fingerprint is stored with the result - as the image label C(buildkit.fleet.fingerprint) (loaded and
    pushed images) and in a record C(<dest>.buildkit-fleet.json) beside file outputs. With O(rebuild=changed)
    the build is skipped when every output still exists and holds the same fingerprint.
  - Secret B(ids) count in the fingerprint, secret B(values) do not - changing only a secret value does not
    rebuild; use O(rebuild=always) or change a build argument for that.
  - A stopped builder is booted, as buildx does. A missing builder fails with a pointer to
    M(buildkit.fleet.buildkit_builder).
author:
  - buildkit.fleet contributors (@buildkit-fleet)
extends_documentation_fragment:
  - buildkit.fleet.docker
attributes:
  check_mode:
    support: full
    description: Computes the fingerprint, checks the outputs and reports whether a build would run; builds nothing.
  diff_mode:
    support: partial
    description: Shows why the outputs are out of date (before) and the new fingerprint (after).
  idempotent:
    support: full
    description: With O(rebuild=changed) a second run with the same inputs skips the build and reports no change.
options:
  builder:
    description:
      - Name of the builder, as made by M(buildkit.fleet.buildkit_builder) or C(docker buildx create).
    type: str
    required: true
  buildx_path:
    description:
      - Path of a standalone C(buildx) binary on the target. Without it C(docker buildx) is used.
    type: path
  buildx_config:
    description: The buildx store directory. Defaults to E(BUILDX_CONFIG), else C(~/.docker/buildx) of the remote user.
    type: path
  context:
    description:
      - The build context, a directory on the target, or a Git URL (for example
        V(https://git.example.com/app.git#main)), which counts in the fingerprint by its text only.
    type: str
    required: true
  dockerfile:
    description:
      - Path of the Dockerfile; a relative path is relative to O(context). Defaults to C(Dockerfile) in the context.
      - A C(<dockerfile>.dockerignore) beside it replaces C(<context>/.dockerignore), as in buildx.
    type: str
  dockerfile_inline:
    description: The Dockerfile itself. Mutually exclusive with O(dockerfile).
    type: str
  build_args:
    description: Build arguments (C(--build-arg)).
    type: dict
  target:
    description: The stage to build (C(--target)).
    type: str
  platforms:
    description:
      - Target platforms, for example V(linux/amd64) and V(linux/arm64). Foreign platforms need QEMU emulators
        registered on the build host. Without it the builder's native platform is built.
    type: list
    elements: str
  tags:
    description: Image names (C(--tag)), used by the V(load) and V(push) outputs.
    type: list
    elements: str
  labels:
    description: Image labels. The module adds C(buildkit.fleet.fingerprint).
    type: dict
  annotations:
    description:
      - OCI annotations (C(--annotation)); a key may carry a type prefix such as C(index:) or C(manifest:).
    type: dict
  outputs:
    description:
      - Where the result goes; several outputs in one build are allowed.
      - Without outputs the result stays in the build cache and the build always runs.
    type: list
    elements: dict
    suboptions:
      type:
        description:
          - V(load) loads the image into Docker (tags from O(tags)); V(push) pushes O(tags) to their registry;
            V(local) writes the filesystem to O(outputs[].dest); V(tar) writes it as a tarball; V(oci) writes an
            OCI layout tarball.
        type: str
        required: true
        choices: [load, push, local, tar, oci]
      dest:
        description: Destination path for V(local), V(tar) and V(oci). The record is written beside it.
        type: path
      attrs:
        description: More exporter attributes, for example C(compression), C(oci-mediatypes) or C(platform-split).
        type: dict
  cache_from:
    description: Cache sources (C(--cache-from)).
    type: list
    elements: dict
    suboptions:
      type:
        description: V(registry) (an image ref, also for inline cache) or V(local) (a directory).
        type: str
        required: true
        choices: [registry, local]
      ref:
        description: Image reference of a V(registry) cache.
        type: str
      src:
        description: Directory of a V(local) cache.
        type: path
      attrs:
        description: More cache attributes.
        type: dict
  cache_to:
    description: Cache destinations (C(--cache-to)).
    type: list
    elements: dict
    suboptions:
      type:
        description: V(registry) (an image ref), V(local) (a directory) or V(inline) (in the image itself).
        type: str
        required: true
        choices: [registry, local, inline]
      ref:
        description: Image reference of a V(registry) cache.
        type: str
      dest:
        description: Directory of a V(local) cache.
        type: path
      mode:
        description: V(max) exports the layers of every stage, V(min) those of the result only.
        type: str
        choices: [min, max]
      attrs:
        description: More cache attributes.
        type: dict
  secrets:
    description:
      - Build secrets, available to C(RUN --mount=type=secret,id=<id>). Only the ids count in the fingerprint.
      - A O(secrets[].value) travels to buildx in its environment, never on the command line, and never shows in results.
    type: list
    elements: dict
    suboptions:
      id:
        description: Secret id.
        type: str
        required: true
      src:
        description: File on the target that holds the secret.
        type: path
      env:
        description: Environment variable of the module process that holds the secret.
        type: str
      value:
        description: The secret value itself.
        type: str
  ssh:
    description: SSH agent sockets or keys to forward (C(--ssh)), for example V(default) or V(deploy=/path/key).
    type: list
    elements: str
  build_contexts:
    description:
      - Named contexts (C(--build-context name=value)); a local directory is fingerprinted like the main context.
    type: dict
  network:
    description: Network mode of C(RUN) steps (C(--network)), for example V(host) or V(none).
    type: str
  no_cache:
    description: Do not use the build cache (C(--no-cache)).
    type: bool
    default: false
  pull:
    description: Always look for newer versions of base images (C(--pull)).
    type: bool
    default: false
  provenance:
    description: Provenance attestation (C(--provenance)), for example V(false), V(mode=min) or V(mode=max).
    type: str
  sbom:
    description: SBOM attestation (C(--sbom)), for example V(true) or V(false).
    type: str
  shm_size:
    description: Size of C(/dev/shm) in C(RUN) steps, for example V(128m).
    type: str
  ulimits:
    description: Ulimits of C(RUN) steps, for example V(nofile=1024:1024).
    type: list
    elements: str
  add_hosts:
    description: Extra C(/etc/hosts) entries of C(RUN) steps, host name to address.
    type: dict
  rebuild:
    description:
      - V(changed) builds when the fingerprint differs from the one recorded with any output, or an output is missing.
      - V(missing) builds only when an output is missing, whatever the inputs.
      - V(always) builds every time.
    type: str
    choices: [changed, always, missing]
    default: changed
  build_timeout:
    description:
      - Seconds the build may take; then buildx is stopped and the task fails.
      - O(timeout) is the timeout of each Docker API request (the image checks of V(load) outputs).
    type: int
    default: 3600
notes:
  - Results come from buildx's C(--metadata-file) and C(--progress rawjson), not from its text output.
  - The connection options reach buildx as E(DOCKER_HOST), E(DOCKER_TLS_VERIFY), E(DOCKER_CERT_PATH); the store as E(BUILDX_CONFIG).
  - Pushed tags are checked with C(buildx imagetools inspect), which uses the docker credentials of the remote user.
seealso:
  - module: buildkit.fleet.buildkit_builder
  - name: docker buildx build
    description: The command this module runs.
    link: https://docs.docker.com/reference/cli/docker/buildx/build/
'''

EXAMPLES = r'''
- name: Multi-platform image pushed to a registry, cached in the registry
  buildkit.fleet.buildkit_build:
    builder: ci
    context: /srv/app
    platforms: [linux/amd64, linux/arm64]
    tags: [registry.example.com/app:1.4]
    build_args:
      VERSION: "1.4"
    labels:
      org.opencontainers.image.source: https://git.example.com/app
    outputs:
      - type: push
    cache_from:
      - type: registry
        ref: registry.example.com/app:cache
    cache_to:
      - type: registry
        ref: registry.example.com/app:cache
        mode: max
  register: app

- name: Native image into Docker, every platform into an OCI tarball, with a secret
  buildkit.fleet.buildkit_build:
    builder: ci
    context: /srv/app
    dockerfile: docker/Dockerfile
    tags: [app:dev]
    outputs:
      - type: load
    secrets:
      - id: npmrc
        value: "{{ vault_npm_token }}"

- name: Files only
  buildkit.fleet.buildkit_build:
    builder: ci
    context: /srv/site
    target: export
    outputs:
      - type: local
        dest: /srv/www/site
'''

RETURN = r'''
built:
  description: Whether a build ran (false when skipped, and in check mode).
  returned: always
  type: bool
  sample: true
reason:
  description: Why the build ran, would run, or was skipped.
  returned: always
  type: str
  sample: image app:dev was built from other inputs (sha256:1f0c...)
skipped_reason:
  description: Why the build was skipped; V(null) when a build ran or would run.
  returned: always
  type: str
  sample: fingerprint sha256:3a5b... matches and every output holds it
fingerprint:
  description: The fingerprint of the inputs (also the image label C(buildkit.fleet.fingerprint)).
  returned: always
  type: str
  sample: sha256:3a5bf1e0c2...
fingerprint_details:
  description: Digests of the parts of the fingerprint (Dockerfile, options, each context with its entry count).
  returned: always
  type: dict
image_id:
  description: Image config digest (the Docker image id of a loaded image).
  returned: when known
  type: str
  sample: sha256:8729ea8969...
digest:
  description: Digest of the image manifest or index.
  returned: when known
  type: str
  sample: sha256:afe0611e61...
platform_digests:
  description: Manifest digest of each platform, from the registry (V(push)) or the OCI tarball (V(oci)).
  returned: when known
  type: dict
  sample: {linux/amd64: sha256:bd6e...,  linux/arm64: sha256:a28a...}
tags:
  description: The image names of the build.
  returned: always
  type: list
  elements: str
metadata:
  description: The JSON buildx wrote to C(--metadata-file).
  returned: when built
  type: dict
steps:
  description:
    - Dockerfile instruction steps (one per platform) - total, taken from the cache, executed.
    - FROM base images fetched count under C(pulled), not in C(total).
  returned: when built or failed
  type: dict
  sample: {total: 6, cached: 4, executed: 2, pulled: 1}
duration:
  description: Seconds the task took on the target.
  returned: always
  type: float
command:
  description: The buildx command line, with secret values redacted (they never are on it anyway).
  returned: always
  type: list
  elements: str
records:
  description: Record files written beside file outputs.
  returned: when built
  type: list
  elements: str
failed_step:
  description: On failure, the step that failed.
  returned: on failure
  type: str
  sample: "[stage-1 2/3] RUN make"
log_tail:
  description: On failure, the last lines of the failing step's log.
  returned: on failure
  type: list
  elements: str
warnings_build:
  description: Build warnings BuildKit reported (lint checks and the like).
  returned: when built
  type: list
  elements: str
'''

import json
import os
import platform as _platform
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.buildkit.fleet.plugins.module_utils import build_command as cmd
from ansible_collections.buildkit.fleet.plugins.module_utils import build_fingerprint as fpr
from ansible_collections.buildkit.fleet.plugins.module_utils import build_outputs as outs
from ansible_collections.buildkit.fleet.plugins.module_utils import build_results as res
from ansible_collections.buildkit.fleet.plugins.module_utils import build_runner as runner
from ansible_collections.buildkit.fleet.plugins.module_utils.builder_spec import format_platform, normalize_platform
from ansible_collections.buildkit.fleet.plugins.module_utils.buildx_store import BuildxStore, default_root
from ansible_collections.buildkit.fleet.plugins.module_utils.docker_client import (
    DOCKER_CONNECTION_ARGS, DockerException, NotFound, connect_or_fail)
from ansible_collections.buildkit.fleet.plugins.module_utils.driver_opts import SpecError


def argument_spec():
    spec = dict(
        builder=dict(type='str', required=True),
        buildx_path=dict(type='path'),
        buildx_config=dict(type='path'),
        context=dict(type='str', required=True),
        dockerfile=dict(type='str'),
        dockerfile_inline=dict(type='str'),
        build_args=dict(type='dict'),
        target=dict(type='str'),
        platforms=dict(type='list', elements='str'),
        tags=dict(type='list', elements='str'),
        labels=dict(type='dict'),
        annotations=dict(type='dict'),
        outputs=dict(type='list', elements='dict', options=dict(
            type=dict(type='str', required=True, choices=['load', 'push', 'local', 'tar', 'oci']),
            dest=dict(type='path'),
            attrs=dict(type='dict'),
        )),
        cache_from=dict(type='list', elements='dict', options=dict(
            type=dict(type='str', required=True, choices=['registry', 'local']),
            ref=dict(type='str'),
            src=dict(type='path'),
            attrs=dict(type='dict'),
        )),
        cache_to=dict(type='list', elements='dict', options=dict(
            type=dict(type='str', required=True, choices=['registry', 'local', 'inline']),
            ref=dict(type='str'),
            dest=dict(type='path'),
            mode=dict(type='str', choices=['min', 'max']),
            attrs=dict(type='dict'),
        )),
        secrets=dict(type='list', elements='dict', no_log=False, options=dict(
            id=dict(type='str', required=True),
            src=dict(type='path'),
            env=dict(type='str'),
            value=dict(type='str', no_log=True),
        ), mutually_exclusive=[('src', 'env', 'value')], required_one_of=[('src', 'env', 'value')]),
        ssh=dict(type='list', elements='str'),
        build_contexts=dict(type='dict'),
        network=dict(type='str'),
        no_cache=dict(type='bool', default=False),
        pull=dict(type='bool', default=False),
        provenance=dict(type='str'),
        sbom=dict(type='str'),
        shm_size=dict(type='str'),
        ulimits=dict(type='list', elements='str'),
        add_hosts=dict(type='dict'),
        rebuild=dict(type='str', default='changed', choices=['changed', 'always', 'missing']),
        build_timeout=dict(type='int', default=3600),
    )
    spec.update(DOCKER_CONNECTION_ARGS)
    return spec


class Build(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.secrets = cmd.secret_values(self.params)
        self.root = self.params['buildx_config'] or default_root()
        self.env = dict(os.environ, BUILDX_CONFIG=self.root)
        self.tmp = tempfile.mkdtemp(prefix='buildkit-fleet-build-')
        self._client = None
        if self.params['buildx_path']:
            self.base = [self.params['buildx_path']]
        else:
            self.base = [module.get_bin_path('docker', required=True), 'buildx']
        self._connection_env()

    def fail(self, msg, **extra):
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.module.fail_json(msg=cmd.redact(msg, self.secrets), **cmd.redact(extra, self.secrets))

    def _connection_env(self):
        params = self.params
        if params.get('docker_host'):
            self.env['DOCKER_HOST'] = params['docker_host']
        if params.get('api_version') and params['api_version'] != 'auto':
            self.env['DOCKER_API_VERSION'] = params['api_version']
        if params.get('validate_certs'):
            self.env['DOCKER_TLS_VERIFY'] = '1'
        elif params.get('tls'):
            self.env['DOCKER_TLS'] = '1'
            self.env.pop('DOCKER_TLS_VERIFY', None)
        files = [(params.get('ca_path'), 'ca.pem'), (params.get('client_cert'), 'cert.pem'),
                 (params.get('client_key'), 'key.pem')]
        if any(path for path, _name in files):
            certs = os.path.join(self.tmp, 'certs')
            os.mkdir(certs, 0o700)
            base = os.environ.get('DOCKER_CERT_PATH')
            for path, name in files:
                path = path or (os.path.join(base, name) if base else None)
                if path and os.path.exists(path):
                    os.symlink(os.path.abspath(path), os.path.join(certs, name))
            self.env['DOCKER_CERT_PATH'] = certs

    def run(self, argv, stdin=None, timeout=120, extra_env=None):
        return runner.run(argv, dict(self.env, **(extra_env or {})), stdin=stdin, timeout=timeout)

    # --- inputs -------------------------------------------------------------------------------
    def check_builder(self):
        try:
            stored = BuildxStore(self.root).read(self.params['builder'])
        except ValueError as exc:
            self.fail('buildx store entry of builder %s is not valid JSON: %s' % (self.params['builder'], exc))
        if stored is None:
            self.fail("builder '%s' not found in the buildx store %s: create it first with the "
                      "buildkit.fleet.buildkit_builder module (or docker buildx create)" % (self.params['builder'], self.root))

    def compute_fingerprint(self):
        params = self.params
        context = params['context']
        remote = cmd.is_remote(context)
        if not remote and not os.path.isdir(context):
            self.fail('context: %s is not a directory on the target' % context)
        dockerfile = cmd.dockerfile_path(params)
        if params['dockerfile_inline'] is not None:
            text = params['dockerfile_inline']
        elif dockerfile is None:
            text = 'remote:' + (params['dockerfile'] or 'Dockerfile')
        else:
            try:
                with open(dockerfile, 'rb') as handle:
                    text = handle.read()
            except (IOError, OSError) as exc:
                self.fail('dockerfile: cannot read %s: %s' % (dockerfile, exc))
        contexts = []
        if remote:
            contexts.append(('context', None, [], context))
        else:
            contexts.append(('context', context, fpr.read_dockerignore(context, dockerfile), None))
        for name, value in sorted((params['build_contexts'] or {}).items()):
            path = cmd.local_dir(value)
            if path and os.path.isdir(path):
                contexts.append(('named:' + name, path, fpr.read_dockerignore(path), None))
            else:
                contexts.append(('named:' + name, None, [], value))
        try:
            return fpr.fingerprint(text, cmd.fingerprint_options(params), contexts)
        except (fpr.FingerprintError, SpecError) as exc:
            self.fail(str(exc))

    # --- outputs ------------------------------------------------------------------------------
    def client(self):
        if self._client is None:
            self._client = connect_or_fail(self.module)
        return self._client

    def inspect_image(self, tag):
        try:
            return self.client().inspect_image(tag)
        except NotFound:
            return None
        except DockerException as exc:
            self.fail('cannot inspect image %s: %s' % (tag, exc))

    def inspect_remote(self, tag):
        rc, out, _err = self.run(self.base + ['imagetools', 'inspect', '--builder', self.params['builder'], tag,
                                              '--format', '{{json .Image}}'], timeout=60)
        if rc != 0:
            return None
        try:
            return outs.image_configs(json.loads(out))
        except ValueError:
            return None

    def platforms(self):
        return [format_platform(normalize_platform(p)) for p in self.params['platforms'] or []]

    def out_of_date(self, fingerprint):
        """Reasons to build ([] means skip) and what is known about the existing result."""
        params = self.params
        if params['rebuild'] == 'always':
            return ['rebuild=always'], {}
        outputs = params['outputs'] or []
        if not outputs:
            return ['no outputs: the result stays in the build cache, there is nothing to check'], {}
        # rebuild=missing only asks for existence: compare against whatever is recorded
        reasons, known = [], {}
        tags = params['tags'] or []
        for output in outputs:
            kind = output['type']
            if kind == 'load':
                if params['rebuild'] == 'missing':
                    missing = [t for t in tags if self.inspect_image(t) is None]
                    reason = ('image %s is not in Docker' % missing[0]) if missing else (
                        None if tags else 'load output without tags cannot be checked')
                    image_id = None
                else:
                    reason, image_id = outs.check_load(self.inspect_image, tags, fingerprint)
                if image_id:
                    known['image_id'] = image_id
            elif kind == 'push':
                if params['rebuild'] == 'missing':
                    missing = [t for t in tags if not self.inspect_remote(t)]
                    reason = ('tag %s is not in the registry' % missing[0]) if missing else (
                        None if tags else 'push output without tags cannot be checked')
                else:
                    reason, _found = outs.check_push(self.inspect_remote, tags, fingerprint, self.platforms())
            else:
                if not output.get('dest'):
                    self.fail('outputs: type %s needs dest' % kind)
                if params['rebuild'] == 'missing':
                    reason = None if os.path.lexists(output['dest']) else '%s output %s does not exist' % (kind, output['dest'])
                    record = outs.read_record(output['dest'])
                else:
                    reason, record = outs.check_file(output, fingerprint)
                if record and not reason:
                    for key in ('image_id', 'digest', 'platform_digests'):
                        if record.get(key):
                            known.setdefault(key, record[key])
            if reason:
                reasons.append(reason)
        return reasons, known

    # --- build --------------------------------------------------------------------------------
    def build(self, fingerprint, argv, env, stdin):
        started = time.monotonic()
        rc, _out, err = self.run(argv, stdin=stdin, timeout=self.params['build_timeout'], extra_env=env)
        duration = round(time.monotonic() - started, 3)
        progress = res.parse_progress(err)
        steps = res.step_counts(progress)
        common = dict(fingerprint=fingerprint, command=cmd.redact(argv, self.secrets), steps=steps, built=False,
                      build_duration=duration)
        if rc is None:
            step, _error, log_tail = res.failure(progress)
            self.fail('build did not finish within build_timeout=%ss%s' % (
                self.params['build_timeout'], (" (running step '%s')" % step) if step else ''), log_tail=log_tail, **common)
        if rc != 0:
            step, error, log_tail = res.failure(progress)
            msg = res.failure_message(step, error, log_tail)
            missing = self.missing_emulators()
            if missing:
                msg = res.emulator_message(self.params['builder'], missing, self._supported) + '\n' + msg
            self.fail(msg, failed_step=step, log_tail=log_tail, **common)
        with open(os.path.join(self.tmp, 'metadata.json'), 'rb') as handle:
            metadata = res.load_metadata(to_text(handle.read()))
        return metadata, progress, steps

    _supported = ()

    def missing_emulators(self):
        requested = self.platforms()
        if not requested:
            return []
        rc, out, _err = self.run(self.base + ['inspect', self.params['builder']], timeout=60)
        if rc != 0:
            return []
        self._supported = res.parse_platforms_line(out)
        native = format_platform(normalize_platform('linux/' + _platform.machine()))
        return res.missing_emulators(requested, self._supported, native)

    def platform_digests(self):
        params = self.params
        for output in params['outputs'] or []:
            if output['type'] == 'push' and params['tags']:
                rc, out, _err = self.run(self.base + ['imagetools', 'inspect', '--builder', params['builder'],
                                                      params['tags'][0], '--raw'], timeout=60)
                if rc == 0:
                    try:
                        return res.platform_digests(json.loads(out))
                    except ValueError:
                        pass
            if output['type'] == 'oci' and output.get('dest'):
                found = outs.oci_platform_digests(output['dest'])
                if found:
                    return found
        return {}


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[('dockerfile', 'dockerfile_inline')])
    started = time.monotonic()
    params = module.params
    job = Build(module)
    if params['build_timeout'] <= 0:
        job.fail("build_timeout: must be a positive number of seconds, got '%s'" % params['build_timeout'])
    job.check_builder()
    fingerprint, details = job.compute_fingerprint()
    try:
        argv, env, stdin = cmd.build_argv(job.base, params, os.path.join(job.tmp, 'metadata.json'), fingerprint)
    except cmd.CommandError as exc:
        job.fail(str(exc))
    reasons, known = job.out_of_date(fingerprint)
    result = dict(fingerprint=fingerprint, fingerprint_details=details, tags=params['tags'] or [],
                  command=cmd.redact(argv, job.secrets))
    if module._diff:
        result['diff'] = dict(before={'outputs': reasons or ['up to date']},
                              after={'fingerprint': fingerprint, 'build': bool(reasons)})
    if not reasons:
        result.update(known)
        skipped = 'fingerprint %s matches and every output holds it' % fingerprint
        shutil.rmtree(job.tmp, ignore_errors=True)
        module.exit_json(changed=False, built=False, reason=skipped, skipped_reason=skipped,
                         duration=round(time.monotonic() - started, 3), **result)
    reason = '; '.join(reasons)
    if module.check_mode:
        shutil.rmtree(job.tmp, ignore_errors=True)
        module.exit_json(changed=True, built=False, reason=reason, skipped_reason=None,
                         duration=round(time.monotonic() - started, 3), **result)

    metadata, progress, steps = job.build(fingerprint, argv, env, stdin)
    summary = res.summarize_metadata(metadata)
    summary['platform_digests'] = job.platform_digests()
    records = []
    for output in outs.file_outputs(params['outputs']):
        if os.path.lexists(output['dest']):
            records.append(outs.write_record(output, fingerprint, summary))
    shutil.rmtree(job.tmp, ignore_errors=True)
    result.update(changed=True, built=True, reason=reason, skipped_reason=None, metadata=metadata, steps=steps,
                  image_id=summary['image_id'], digest=summary['digest'], platform_digests=summary['platform_digests'],
                  records=records, warnings_build=progress['warnings'],
                  duration=round(time.monotonic() - started, 3))
    module.exit_json(**cmd.redact(result, job.secrets))


if __name__ == '__main__':
    main()

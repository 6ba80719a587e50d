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
  - C(docker buildx) runs as the C(docker-buildx) plugin binary the docker CLI would start (from the CLI's
    C(cliPluginsExtraDirs), C(~/.docker/cli-plugins) or the system plugin directories), without the CLI's start-up.
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
  - On a builder where several nodes serve a platform (a B(pool)), each platform of a build goes to one node chosen
    by cache affinity, and a node that is down is skipped (O(placement)); buildx alone always takes the first node.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
extends_documentation_fragment:
  - buildkit.fleet._docker
  - buildkit.fleet._buildx_store
  - buildkit.fleet._placement
  - buildkit.fleet._attributes
  - buildkit.fleet._attributes.actiongroup_buildkit
attributes:
  check_mode:
    support: full
    details: Computes the fingerprint, checks the outputs and reports whether a build would run; builds nothing.
  diff_mode:
    support: partial
    details: Shows why the outputs are out of date (before) and the new fingerprint (after).
  idempotent:
    support: full
    details: With O(rebuild=changed) a second run with the same inputs skips the build and reports no change.
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
    description:
      - Build arguments (C(--build-arg)). Values must be strings, numbers or booleans; a dict or list fails naming the key.
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
    description:
      - Image names (C(--tag)), used by the V(load) and V(push) outputs.
      - A V(push) output needs at least one tag; without one the task fails before anything is built.
    type: list
    elements: str
  labels:
    description:
      - Image labels. The module adds C(buildkit.fleet.fingerprint).
      - Values must be strings, numbers or booleans, as for O(build_args) and O(annotations).
    type: dict
  annotations:
    description:
      - OCI annotations (C(--annotation)); a key may carry a type prefix such as C(index:) or C(manifest:).
    type: dict
  outputs:
    description:
      - Where the result goes; several outputs in one build are allowed.
      - Without outputs the result stays in the build cache and the build always runs; so does a V(load) output
        without O(tags), which cannot be checked. A V(push) output without O(tags) fails up front.
      - Identical builds (same fingerprint) on the same builder run one at a time; the runs that waited find
        the outputs up to date and report no change.
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
      - Every source is checked before the build (an O(secrets[].src) file exists and is readable, an
        O(secrets[].env) variable is set on the target); the value of every secret, whatever its source,
        is redacted from results, C(log_tail) and verbose output.
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
  - Context files are read once; their content digests are cached in C(~/.cache/buildkit-fleet) of the remote user
    while size, mtime, ctime and inode stay the same (files changed in the last two seconds are always read).
    The cache never changes the fingerprint.
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

# Docker (without the containerd image store) loads one platform only, so the load and the multi-platform
# tarball are two builds of the same inputs; the second reuses the first's cache.
- name: Native image into Docker, every platform into an OCI tarball, with a secret
  buildkit.fleet.buildkit_build:
    builder: ci
    context: /srv/app
    dockerfile: docker/Dockerfile
    tags: [app:dev]
    platforms: "{{ item.platforms }}"
    outputs: ["{{ item.output }}"]
    secrets:
      - id: npmrc
        value: "{{ vault_npm_token }}"
  loop:
    - platforms: []  # the builder's native platform
      output: {type: load}
    - platforms: [linux/amd64, linux/arm64]
      output: {type: oci, dest: /srv/artifacts/app.oci.tar}
  loop_control:
    label: "{{ item.output.type }}"

# ci has two linux/amd64 nodes (a pool): every build keeps to the node whose cache it warmed, a node that is
# down is skipped; the result says where each platform was built and why.
- name: Build placed by cache affinity on the pool
  buildkit.fleet.buildkit_build:
    builder: ci
    context: /srv/api
    platforms: [linux/amd64]
    tags: [registry.example.com/api:2.0]
    outputs:
      - type: push
    placement: affinity
    placement_timeout: 5
  register: api

- name: Show where it was built
  ansible.builtin.debug:
    msg: >-
      {{ api.placement.platforms['linux/amd64'].node }}
      ({{ api.placement.platforms['linux/amd64'].reason }})

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
timings:
  description:
    - Seconds spent in the main steps - C(check) (inputs and store), C(fingerprint), C(lock), C(outputs) (are
      they up to date), C(placement) (nodes asked and chosen), C(build) (buildx) and C(results) (digests and records).
  returned: when the inputs were valid
  type: dict
  sample: {check: 0.001, fingerprint: 0.004, lock: 0.0, outputs: 0.01, placement: 0.05, build: 1.2, results: 0.002}
placement:
  description:
    - Where each platform of the build was built (or, in check mode, would be built) and why; see O(placement).
    - Not returned for a skipped build, which asks no node.
  returned: when built, would build (check mode), or the build failed
  type: dict
  version_added: 0.2.0
  contains:
    mode:
      description: The O(placement) in force.
      type: str
      sample: affinity
    applied:
      description:
        - Whether the module chose the nodes and built through a view of them; V(false) when buildx chose (V(buildx)
          mode, one node per platform, another driver, or no usable node).
      type: bool
      sample: true
    note:
      description: Why buildx chose the nodes, when it did.
      type: str
      returned: when buildx chose the nodes
      sample: "no node of linux/amd64 is usable (ci0: stopped; ci1: unreachable: ...): buildx chooses the nodes"
    nodes_asked:
      description:
        - "The nodes asked before the build, with what they answered - V(healthy), V(stopped), V(inactive) (no
          container), C(unreachable: ...), C(not answering: ...), C(no answer within <n>s)."
      type: dict
      sample: {ci0: stopped, ci1: healthy}
    route:
      description:
        - How buildx reached the nodes. V(buildkitd socket) when every node of the build runs on the local daemon
          and its buildkitd answers on its own socket (C(/proc/<pid>/root/run/buildkit/buildkitd.sock)), reached
          without a C(docker exec) in the node. V(buildx) otherwise, buildx's own route (C(docker exec buildctl
          dial-stdio) for a docker-container node, booting a stopped one; the endpoint for a remote node).
      type: str
      returned: when built, or the build failed
      version_added: 0.2.0
      sample: buildkitd socket
    platforms:
      description:
        - Per platform (V(linux/amd64), ...) the decision; V(default) for a build without O(platforms) on a
          single node that declares none.
      type: dict
      contains:
        node:
          description: The node that built the platform.
          type: str
          sample: ci1
        reason:
          description:
            - V(affinity) (the first node in hash order), V(failover) (nodes before it were skipped, see
              RV(placement.platforms.failover_from)), V(only node) (the platform has one node), V(boot) (no node was
              healthy; this one was booted as buildx would).
          type: str
          sample: failover
        failover_from:
          description: The nodes skipped before the chosen one, each with its state.
          type: list
          elements: dict
          sample: [{node: ci0, state: stopped}]
        order:
          description: The pool in hash order (the failover order).
          type: list
          elements: str
          sample: [ci0, ci1]
        by:
          description: V(hash) when placement ordered the pool, V(store) when the platform has one node.
          type: str
          sample: hash
        steps:
          description: The step counts of this platform (as RV(steps)).
          type: dict
          returned: when built
          sample: {total: 4, cached: 2, executed: 2, pulled: 0}
  sample:
    mode: affinity
    applied: true
    nodes_asked: {ci0: stopped, ci1: healthy}
    route: buildkitd socket
    platforms:
      linux/amd64:
        node: ci1
        reason: failover
        failover_from: [{node: ci0, state: stopped}]
        order: [ci0, ci1]
        by: hash
        steps: {total: 4, cached: 2, executed: 2, pulled: 0}
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

from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._build.run import run_module
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import CheckedModule
from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import docker_module_spec


def argument_spec():
    spec = dict(
        builder=dict(type='str', required=True),
        buildx_path=dict(type='path'),
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
    return docker_module_spec(spec, store=True, placement=True)


def main():
    module = CheckedModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[('dockerfile', 'dockerfile_inline')])
    run_module(module)


if __name__ == '__main__':
    main()

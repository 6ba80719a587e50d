#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: buildkit_builder
short_description: Manage BuildKit builders exactly as the buildx docker-container driver does
version_added: 0.1.0
description:
  - Creates, starts, stops, repairs and removes BuildKit builders the way
    C(docker buildx create --driver docker-container --bootstrap) does, with the same container
    C(buildx_buildkit_<node>), state volume C(buildx_buildkit_<node>_state), flags, config file
    and buildx store entry, so C(docker buildx ls), C(inspect) and C(build --builder) use them.
  - Builders made by C(docker buildx create) with the same settings are adopted unchanged.
  - Unlike buildx, it notices drift (image, limits, network, restart policy, cgroup parent, env, flags,
    config, store entry) and re-creates the container while keeping the state volume, so the build cache survives.
  - A builder has one node named V(<name>0) (lower-cased), as buildx names it, or the nodes listed in O(nodes),
    each on its own Docker endpoint.
  - Runs of the same builder are serialized (see O(lock_timeout)). A paused container is unpaused; a store file
    that is not valid JSON is moved to C(instances.corrupt/) and rewritten; a state volume whose data is gone is
    re-created with its container. RV(notes) says when such a repair happened.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
extends_documentation_fragment:
  - buildkit.fleet._docker
  - buildkit.fleet._buildx_store
  - buildkit.fleet._buildx_store.lock
  - buildkit.fleet._builder
  - buildkit.fleet._attributes
  - buildkit.fleet._attributes.actiongroup_buildkit
attributes:
  check_mode:
    support: full
    details:
      - Predicts RV(ignore:changed) exactly and touches nothing (no pull, no container, no store file).
      - A C(driver_opts.network) that does not exist yet (an earlier task of the same check run would create it)
        gives a warning and the builder is predicted as if it existed.
  diff_mode:
    support: full
    details: Shows the store entry, the container spec and the status before and after.
  idempotent:
    support: full
    details: A second run with the same options reports no change (with O(recreate=always) it always re-creates).
options:
  name:
    description:
      - Builder name. It must match C(^[a-zA-Z][a-zA-Z0-9._-]*$); V(default) is reserved.
      - The store file is C(instances/<lower-cased name>); the node is V(<name>0), lower-cased.
    type: str
    required: true
  state:
    description:
      - V(present) means the container exists, runs and C(buildkitd) answers C(buildctl debug workers).
      - V(stopped) means the store entry and the container exist and the container is stopped.
      - V(absent) removes the container, the state volume (unless O(keep_state)) and the store entry
        (C(instances), C(activity), C(refs)); leftovers such as a volume without a container are removed too.
    type: str
    choices: [present, stopped, absent]
    default: present
  driver_opts:
    description:
      - The docker-container driver options of C(docker buildx create --driver-opt), one sub-option each.
      - Sub-options are spelled in snake_case; buildx spells the same keys with hyphens (C(memory-swap) is
        O(driver_opts.memory_swap)). Hyphenated keys are refused, since Ansible option names must be Python identifiers.
      - Options not set are left out of the store, as buildx does, and take the buildx default.
    type: dict
    default: {}
    suboptions:
      image:
        description:
          - BuildKit image. Pulled when the container is created; a local image is used when the pull fails.
          - Defaults to V(moby/buildkit:buildx-stable-1), as in buildx.
        type: str
      network:
        description:
          - Docker network mode of the container, for example V(host) or a user network, which must exist.
          - With V(host), C(--allow-insecure-entitlement=network.host) is always added to the flags.
        type: str
      restart_policy:
        description:
          - Restart policy, C(name[:max-retries]); V(no), V(always), V(unless-stopped) or V(on-failure[:N]).
          - Defaults to V(unless-stopped), as in buildx.
        type: str
      default_load:
        description:
          - Load build results into Docker by default (buildx C(default-load)); stored for buildx, no container effect.
          - Defaults to V(false).
        type: bool
      memory:
        description: Memory limit with go-units semantics (binary units), for example V(4g), V(512MiB), V(1.5g). At least 6MiB.
        type: str
      memory_swap:
        description: Memory plus swap limit, same units as O(driver_opts.memory), or V(-1) for unlimited swap. Needs O(driver_opts.memory).
        type: str
      cpu_quota:
        description: CPU CFS quota in microseconds (an integer).
        type: raw
      cpu_period:
        description: CPU CFS period in microseconds (an integer).
        type: raw
      cpu_shares:
        description: CPU shares, relative weight (an integer).
        type: raw
      cpuset_cpus:
        description: CPUs the builder may use, for example V(0-1) or V(0,2).
        type: str
      cpuset_mems:
        description: Memory nodes the builder may use, for example V(0).
        type: str
      cgroup_parent:
        description:
          - Cgroup parent; applied only when the daemon uses the C(cgroupfs) cgroup driver, as buildx does.
          - Defaults to V(/docker/buildx).
        type: str
      env:
        description: Environment variables of C(buildkitd) (buildx C(env.NAME=value)); names must be non-empty and have no C(=).
        type: dict
  buildkitd_config:
    description:
      - Path on the target of a C(buildkitd.toml), copied to C(/etc/buildkit/buildkitd.toml) and passed with C(--config).
      - It is validated as TOML before anything is created.
      - Without O(buildkitd_config) and O(buildkitd_config_inline), C(buildkitd.default.toml) in the store directory is used when it exists, as buildx does.
    type: path
  buildkitd_config_inline:
    description: The C(buildkitd.toml) content itself. Mutually exclusive with O(buildkitd_config).
    type: str
  buildkitd_flags:
    description:
      - Extra C(buildkitd) flags, for example V(--debug).
      - C(--allow-insecure-entitlement=network.host) is appended under buildx's rules (unless you give
        entitlement flags first, or the config lists it in C(insecure-entitlements)).
    type: list
    elements: str
  platforms:
    description:
      - Fixed platforms of the node, as C(docker buildx create --platform) stores them (normalised, for example V(linux/arm64)).
      - They route builds to nodes; BuildKit still reports what it can run.
      - With O(nodes), give platforms per node instead.
    type: list
    elements: str
  nodes:
    description:
      - The nodes of a builder that spans several Docker endpoints (a multi-node builder, like
        C(docker buildx create --append)). Without it the builder has one node, V(<name>0), on O(docker_host).
      - Missing nodes are added, drifted ones repaired with their cache kept, and nodes no longer listed are
        removed (container, volume unless O(keep_state), and store entry). All endpoints are reached before
        anything changes; an unreachable one fails the task naming the node, and nothing is written.
      - A build with C(docker buildx build --builder <name> --platform ...) routes each platform to the node that declares it.
    type: list
    elements: dict
    suboptions:
      name:
        description: Node name (lower-cased, as buildx does). Defaults to V(<name><index>).
        type: str
      endpoint:
        description:
          - Where the node's container runs, stored as the node C(Endpoint) as buildx stores it.
          - A V(unix://) socket, V(tcp://) (TLS with the O(nodes[].tls) options), V(ssh://user@host) (uses the C(ssh) client),
            or a docker context name (its host and TLS files are read from C(~/.docker/contexts)).
          - For a daemon that requires TLS, name a docker context
            (C(docker context create NAME --docker host=tcp://...,ca=...,cert=...,key=...)); C(docker buildx build)
            reaches a raw V(tcp://) node endpoint without TLS, so only the module itself could use O(nodes[].tls).
          - V(ssh://) endpoints need C(paramiko) next to the Docker SDK on the target (the SDK imports it), and the C(docker) CLI on the
            remote host for the SDK's C(docker system dial-stdio).
          - Defaults to O(docker_host).
        type: str
      platforms:
        description: Fixed platforms of this node. A platform may belong to one node only.
        type: list
        elements: str
      driver_opts:
        description:
          - Driver options of this node, with the same keys as O(driver_opts) (snake_case);
            each one set here overrides the builder's.
          - Keys and values are checked like O(driver_opts); an unknown key fails the task.
        type: dict
      buildkitd_flags:
        description: C(buildkitd) flags of this node instead of the builder's O(buildkitd_flags).
        type: list
        elements: str
      tls:
        description: Use TLS without verification for this node's V(tcp://) endpoint.
        type: bool
      validate_certs:
        description: Use TLS and verify the daemon certificate of this node against O(nodes[].ca_path).
        type: bool
      ca_path:
        description: CA certificate for this node's endpoint.
        type: path
      client_cert:
        description: Client certificate for this node's endpoint.
        type: path
      client_key:
        description: Client key for this node's endpoint.
        type: path
  keep_state:
    description: With O(state=absent), keep the state volume (the build cache), like C(docker buildx rm --keep-state).
    type: bool
    default: false
  bootstrap_timeout:
    description: Seconds to wait for C(buildkitd) to answer after the start. On timeout the task fails with the container log tail.
    type: int
    default: 60
  recreate:
    description:
      - V(changed) re-creates the container when it differs from the wanted spec, keeping the state volume.
      - V(always) re-creates it on every run; V(never) only reports the differences.
    type: str
    choices: [changed, always, never]
    default: changed
  pull:
    description:
      - Try to pull O(driver_opts.image) whenever the container is (re-)created, as buildx does; a failed pull falls back to the local image.
      - With V(false) the image is pulled only when it is missing locally.
    type: bool
    default: true
  image_mirrors:
    description:
      - Registries to pull O(driver_opts.image) from when the pull of the reference itself fails and the image
        is not local, for air-gapped fleets. V(127.0.0.1:5000) turns V(moby/buildkit:buildx-stable-1) into
        V(127.0.0.1:5000/moby/buildkit:buildx-stable-1), which is pulled and tagged as the original reference.
    type: list
    elements: str
  image_archive:
    description:
      - A C(docker save) tarball on the target, loaded when O(driver_opts.image) can be neither pulled nor found
        locally (nor pulled from O(image_mirrors)), for air-gapped fleets.
      - After the load, the image id of O(driver_opts.image) must be the one the archive records for that
        reference in its C(manifest.json), else the task fails.
    type: path
  use:
    description: Make this builder buildx's current builder (C(docker buildx use)).
    type: bool
    default: false
  buildx_config:
    description:
      - The buildx store directory on the target, the one C(docker buildx) reads builders from.
      - Defaults to E(BUILDX_CONFIG), else C(buildx) in E(DOCKER_CONFIG), else C(~/.docker/buildx) of the remote user.
      - It must be a directory (or not exist yet); this is checked before anything changes.
    type: path
seealso:
  - name: docker-container driver
    description: The buildx driver this module reproduces.
    link: https://docs.docker.com/build/builders/drivers/docker-container/
  - module: community.docker.docker_network
'''

EXAMPLES = r'''
- name: A builder with every driver option
  buildkit.fleet.buildkit_builder:
    name: ci
    driver_opts:
      image: moby/buildkit:buildx-stable-1
      network: builders
      restart_policy: unless-stopped
      default_load: true
      memory: 4g
      memory_swap: 6g
      cpu_quota: 150000
      cpu_period: 100000
      cpu_shares: 1024
      cpuset_cpus: "0-1"
      cpuset_mems: "0"
      cgroup_parent: /docker/buildx
      env:
        http_proxy: http://proxy.internal:3128
    buildkitd_flags: [--debug]
    buildkitd_config_inline: |
      [worker.oci]
        max-parallelism = 4
    platforms: [linux/amd64, linux/arm64]
    use: true

- name: A docker context for the arm host's TLS daemon (docker buildx build reaches a TLS daemon only through a context)
  ansible.builtin.command:
    argv: [docker, context, create, arm-host, --docker,
           "host=tcp://arm-host:2376,ca=/etc/docker/certs/ca.pem,cert=/etc/docker/certs/cert.pem,key=/etc/docker/certs/key.pem"]
  register: arm_context
  changed_when: arm_context.rc == 0
  failed_when: arm_context.rc != 0 and 'already exists' not in arm_context.stderr

- name: A builder spanning two build hosts; each platform builds on the node that declares it
  buildkit.fleet.buildkit_builder:
    name: fleet
    driver_opts:
      memory: 8g
    nodes:
      - name: amd
        endpoint: unix:///var/run/docker.sock
        platforms: [linux/amd64]
      - name: arm
        endpoint: arm-host  # the context: its host and TLS files serve the module and buildx alike
        platforms: [linux/arm64]
        driver_opts:
          memory: 16g

- name: An air-gapped build host gets the BuildKit image from a tarball or a mirror
  buildkit.fleet.buildkit_builder:
    name: offline
    image_mirrors: [registry.internal:5000]
    image_archive: /srv/images/buildkit-v0.32.2.tar

- name: Stop it (container and cache kept)
  buildkit.fleet.buildkit_builder:
    name: ci
    state: stopped

- name: Remove it but keep the build cache volume
  buildkit.fleet.buildkit_builder:
    name: ci
    state: absent
    keep_state: true

- name: Connection options once for all modules of the collection (here a rootless daemon's socket)
  module_defaults:
    group/buildkit.fleet.buildkit:
      docker_host: unix:///run/user/1000/docker.sock
      timeout: 120
  block:
    - name: Builder on that daemon
      buildkit.fleet.buildkit_builder:
        name: remote
    - name: Its facts, from the same daemon
      buildkit.fleet.buildkit_builder_info:
        name: remote

- name: A farm node - it also serves remote buildx clients over mutual TLS, with a cache ceiling
  buildkit.fleet.buildkit_builder:
    name: farm
    serve:
      port: 1234  # published on the host; docker buildx --builder farm on the host still works
      ca_cert: /etc/buildkit-fleet/tls/ca.pem
      cert: /etc/buildkit-fleet/tls/server.pem
      key: /etc/buildkit-fleet/tls/server-key.pem
      names: [farm-a.example, 192.0.2.10]  # what clients connect to: each must be in the certificate
    gc:
      max_used_space: 20GB
      min_free_space: 10%
      keep_duration: 48h
  register: farm_node

- name: Renewed files on the target rotate the listener - same container, same cache
  ansible.builtin.debug:
    msg: "{{ farm_node.builder.nodes[0].serve.serial }} until {{ farm_node.builder.nodes[0].serve.not_after }}"
'''

RETURN = r'''
builder:
  description: The builder, shaped like the outputs of docker/setup-buildx-action. Absent with O(state=absent).
  returned: when O(state) is V(present) or V(stopped)
  type: dict
  contains:
    name:
      description: Builder name.
      type: str
      sample: ci
    driver:
      description: Always V(docker-container).
      type: str
      sample: docker-container
    nodes:
      description: One entry per node.
      type: list
      elements: dict
      sample:
        - name: ci0
          endpoint: unix:///var/run/docker.sock
          status: running
          buildkit_version: v0.32.2
          platforms: [linux/amd64, linux/arm64]
          fixed_platforms: []
          driver_opts: {memory: 4g}
          flags: [--allow-insecure-entitlement=network.host]
          container_id: 4f3c...
          volume: buildx_buildkit_ci0_state
          serve: {address: 0.0.0.0, port: 1234, subject: CN=farm-a, sans: ["DNS:farm-a.example", "IP:192.0.2.10"],
                  serial: 5f9a205fb6a33b249ac1dd5f6d7a52398bbd392d, not_after: "2027-03-05T23:45:19Z", days_left: 89,
                  rotated: false}
          gc: [{all: true, filters: [], keep_duration: 172800, max_used_space: 21474836480, reserved_space: 0,
                min_free_space: 0}]
      contains:
        serve:
          description:
            - With O(serve), what the node serves on TCP - C(address), C(port), and the certificate's C(subject),
              C(sans), C(serial) (hex), C(not_after) (UTC), C(days_left) - and C(rotated) (the certificate was
              replaced by this run); V(null) without O(serve).
          type: dict
        gc:
          description: The GC policy in force, as C(buildctl debug workers) reports it (bytes and seconds); V(null) in check mode.
          type: list
          elements: dict
differences:
  description: What differed between the wanted and the real builder (container fields and store entry).
  returned: always
  type: list
  elements: dict
  sample: [{item: container.memory, before: 0, after: 4294967296}]
actions:
  description: What was done, or in check mode what would be done.
  returned: always
  type: list
  elements: str
  sample: [recreate container buildx_buildkit_ci0, start container buildx_buildkit_ci0]
notes:
  description: Remarks such as a failed pull that fell back to the local image.
  returned: always
  type: list
  elements: str
timings:
  description: Seconds spent in the main steps (image, create, start, ready).
  returned: always
  type: dict
  sample: {create: 0.12, start: 0.3, ready: 1.1}
duration:
  description: Seconds the whole task took on the target.
  returned: always
  type: float
  sample: 1.84
'''

from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.options import MUTUALLY_EXCLUSIVE, builder_options
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.run import BuilderRun, RunFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import CheckedModule
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError


def argument_spec():
    return builder_options()


def main():
    module = CheckedModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=MUTUALLY_EXCLUSIVE)
    run = BuilderRun(module.params, module.check_mode)
    try:
        run.check()  # every option before any change
        result = run.run(diff=module._diff)
    except SpecError as exc:
        module.fail_json(msg=str(exc))
    except RunFailed as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    for warning in result.pop('warnings'):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

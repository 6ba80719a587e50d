#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: buildkit_builders
short_description: Manage many BuildKit builders of one host in one call
version_added: 0.1.0
description:
  - Converges every builder of O(builders) the way M(buildkit.fleet.buildkit_builder) converges one, in one
    module run (one Python start, one Docker connection per endpoint). A loop of M(buildkit.fleet.buildkit_builder)
    over twenty builders starts Python twenty times; this module does not.
  - Every item is checked (types, values, names given twice, files) before any builder changes; a bad item
    fails the task naming the item and the option, and nothing is changed.
  - Optionally checks (never changes) the Docker networks the builders need, see O(networks), and waits until
    BuildKit lists the platforms of O(wait_for_platforms), for example those of freshly registered QEMU emulators.
  - The C(buildkit.fleet.builder) role provisions a host's builders with this module.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
extends_documentation_fragment:
  - buildkit.fleet._docker
  - buildkit.fleet._buildx_store
  - buildkit.fleet._attributes
  - buildkit.fleet._attributes.actiongroup_buildkit
attributes:
  check_mode:
    support: full
    details:
      - Predicts RV(ignore:changed) and each builder's actions exactly and touches nothing.
      - A C(driver_opts.network) that does not exist yet gives a warning and the builder is predicted as if it existed.
  diff_mode:
    support: full
    details: One diff per builder (store entry, container spec and status before and after).
  idempotent:
    support: full
    details: A second run with the same options reports no change.
options:
  builders:
    description:
      - The builders. Each item takes the options of M(buildkit.fleet.buildkit_builder), with the same defaults and
        checks (see there for the details of C(driver_opts) and C(nodes)), plus the shortcut C(network).
      - The Docker connection options, O(buildx_config) and O(lock_timeout) are given once, for all items.
      - Builders are converged in this order. When one fails, the others are still converged and the task fails
        naming the failed ones.
      - A name may appear once (buildx names are case-insensitive).
      - "Every item is validated by the module itself (not by Ansible's argument parser), so that a bad item fails
        naming its index and builder, for example C(builders[1] (ci): driver_opts.memory ...)."
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Builder name (as C(docker buildx create --name)).
        type: str
        required: true
      state:
        description: V(present) (created and running), V(stopped) (created, container stopped) or V(absent).
        type: str
        choices: [present, stopped, absent]
        default: present
      network:
        description:
          - Shortcut for C(driver_opts.network), the Docker network of the builder's container (as the
            C(buildkit.fleet.builder) role's items take it). Giving both with different values fails.
        type: str
      driver_opts:
        description:
          - Options of the C(docker-container) driver (C(image), C(network), C(memory), C(memory_swap),
            C(cpu_quota), C(cpu_period), C(cpu_shares), C(cpuset_cpus), C(cgroup_parent), C(restart_policy),
            C(env), C(default_load)), as M(buildkit.fleet.buildkit_builder) documents them.
        type: dict
        default: {}
      platforms:
        description: Fixed platforms of the builder (C(docker buildx create --platform)). Not with C(nodes).
        type: list
        elements: str
      nodes:
        description:
          - Nodes of a multi-node builder, each with C(name), C(endpoint), C(platforms), C(driver_opts),
            C(buildkitd_flags) and TLS options, as M(buildkit.fleet.buildkit_builder) documents them.
        type: list
        elements: dict
      buildkitd_flags:
        description: Flags of C(buildkitd).
        type: list
        elements: str
      buildkitd_config:
        description: A C(buildkitd.toml) on the target. Not with C(buildkitd_config_inline).
        type: path
      buildkitd_config_inline:
        description: The content of C(buildkitd.toml).
        type: str
      keep_state:
        description: With C(state=absent), keep the cache volume.
        type: bool
        default: false
      bootstrap_timeout:
        description: Seconds to wait for C(buildkitd) to answer.
        type: int
        default: 60
      recreate:
        description: When to re-create a builder that differs.
        type: str
        choices: [changed, always, never]
        default: changed
      pull:
        description: Pull the BuildKit image before creating the container (as buildx does).
        type: bool
        default: true
      image_mirrors:
        description: Registries to pull the BuildKit image from when the pull fails.
        type: list
        elements: str
      image_archive:
        description:
          - A C(docker save) tarball on the target, loaded when the BuildKit image is missing. Defaults to
            O(image_archive).
        type: path
      use:
        description: Make it buildx's current builder.
        type: bool
        default: false
      # serve and gc are documented in full by the doc fragment buildkit.fleet._builder (plugins/doc_fragments/_builder.py)
      # for buildkit_builder; a fragment cannot add suboptions, so this short copy stays (same types and defaults).
      serve:
        description:
          - Make the builder also listen on TCP with mutual TLS (the port published on the host); documented in full
            at O(buildkit.fleet.buildkit_builder#module:serve) (the C([grpc]) section, publishing, certificate
            rotation with the cache kept, and the checks made before anything changes, which need the Python
            C(cryptography) library on the target).
          - Your own C(buildkitd_config) or C(buildkitd_config_inline) must not have a C([grpc]) section.
        type: dict
        version_added: 0.2.0
        suboptions:
          port:
            description: The host TCP port clients connect to (also the port C(buildkitd) listens on in the container).
            type: int
            required: true
          address:
            description: The host address the port is published on (with host networking, the address C(buildkitd) listens on).
            type: str
            default: 0.0.0.0
          ca_cert:
            description:
              - The CA certificate (PEM) on the target that signed the server certificate and the client certificates;
                clients without a certificate of this CA are refused.
            type: path
            required: true
          cert:
            description: The server certificate (PEM) on the target.
            type: path
            required: true
          key:
            description: The server's unencrypted private key (PEM) on the target; placed in the container with mode 0600.
            type: path
            required: true
          names:
            description: The DNS names and IP addresses clients use to reach the builder; each must be a subject alternative name of O(builders[].serve.cert).
            type: list
            elements: str
            default: []
      gc:
        description:
          - BuildKit's cache ceiling (one C([[worker.oci.gcpolicy]]) rule for all records in C(buildkitd.toml));
            documented in full at O(buildkit.fleet.buildkit_builder#module:gc).
          - Changing it re-creates the container and keeps the state volume. Sizes take binary units (V(20GB)) or a
            percentage of the disk (V(10%)); durations are Go durations (V(48h)) or seconds.
        type: dict
        version_added: 0.2.0
        suboptions:
          max_used_space:
            description: The cache is pruned down below this size (C(maxUsedSpace)).
            type: str
          reserved_space:
            description: The cache never prunes below this size (C(reservedSpace)).
            type: str
          min_free_space:
            description: The cache is pruned while less than this is free on the disk (C(minFreeSpace)).
            type: str
          keep_duration:
            description: Records used more recently than this are kept (C(keepDuration)).
            type: str
  networks:
    description:
      - The Docker networks the builders need, as the C(buildkit.fleet.network) role takes them. They are only
        compared, never changed.
      - When one is missing or differs from its item (in a way that would make C(community.docker.docker_network),
        called as that role calls it, change it), no builder is touched and RV(pending_networks) lists it, so that
        the network can be converged first and this module run again.
      - In check mode the builders are predicted all the same (a network that does not exist yet gives a warning).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Network name.
        type: str
        required: true
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
      driver:
        description: Network driver.
        type: str
        default: bridge
      subnet:
        description: IPv4 subnet in CIDR form.
        type: str
      gateway:
        description: Gateway address in O(networks[].subnet).
        type: str
      ip_range:
        description: Range for container addresses in O(networks[].subnet).
        type: str
      internal:
        description: An internal network (no outside access).
        type: bool
      mtu:
        description: MTU of the bridge (driver option C(com.docker.network.driver.mtu)).
        type: int
      driver_options:
        description: Driver options.
        type: dict
      labels:
        description: Labels.
        type: dict
  wait_for_platforms:
    description:
      - Platforms that the first node of every builder with C(state=present) must list (for example the
        platforms of QEMU emulators registered just before). BuildKit caches its platform probe for about
        20 seconds; the module polls C(buildctl debug workers) until they are listed.
      - Not waited for in check mode.
    type: list
    elements: str
    default: []
  platforms_timeout:
    description: Seconds to wait for O(wait_for_platforms); then the task fails naming the builder and the missing platforms.
    type: int
    default: 60
  buildx_config:
    description:
      - The buildx store directory on the target, for all builders.
      - Defaults to E(BUILDX_CONFIG), else C(buildx) in E(DOCKER_CONFIG), else C(~/.docker/buildx) of the remote user.
    type: path
  lock_timeout:
    description: Seconds to wait, per builder, while another run converges the same builder.
    type: int
    default: 600
  image_archive:
    description:
      - A C(docker save) tarball on the target for every item without its own C(image_archive) (not for absent ones).
    type: path
  report_missing_images:
    description:
      - Before any change, look up the BuildKit image of every present builder without C(image_archive). When one
        is missing on the Docker daemon, no builder is touched and RV(missing_images) lists them, so that a
        tarball can be copied to the target and the module run again with O(image_archive).
      - In check mode the builders are predicted all the same.
    type: bool
    default: false
  python_requirements:
    description:
      - Requirements (as pip takes them, with C(python_version) markers) that the Python running the module must
        meet besides the Docker SDK >= 7. When one is missing, the task fails before any change with
        RV(docker_sdk_missing=true) and RV(missing_requirements).
    type: list
    elements: str
    default: []
notes:
  - When the Python that runs the module lacks the Docker SDK for Python (>= 7) or one of
    O(python_requirements), the task fails with RV(docker_sdk_missing=true) and RV(interpreter), so that a
    role can install it and run the module again.
seealso:
  - module: buildkit.fleet.buildkit_builder
  - module: community.docker.docker_network
'''

EXAMPLES = r'''
- name: All builders of a build host in one task
  buildkit.fleet.buildkit_builders:
    builders:
      - name: ci
        driver_opts: {memory: 4g, network: builders}
      - name: release
        driver_opts: {memory: 8g, cpuset_cpus: "0-3"}
        platforms: [linux/amd64, linux/arm64]
      - name: old
        state: absent
    networks:
      - name: builders
        subnet: 10.231.0.0/24
  register: host_builders

- name: Converge the networks first when the builders found one missing or different
  community.docker.docker_network:
    name: "{{ item.name }}"
    ipam_config: [{subnet: 10.231.0.0/24}]
  loop: "{{ host_builders.pending_networks }}"
'''

RETURN = r'''
builders:
  description:
    - One result per item of O(builders), in order, shaped like the result of M(buildkit.fleet.buildkit_builder)
      (C(name), C(state), C(changed), C(actions), C(differences), C(notes), C(timings), C(duration), and C(builder)
      unless absent), with C(failed) and C(msg) for a builder that failed.
    - Empty when RV(pending_networks) is not (outside check mode).
  returned: always
  type: list
  elements: dict
  sample:
    - name: ci
      state: present
      changed: false
      actions: []
      differences: []
      notes: []
      timings: {ready: 0.05}
      duration: 0.08
      builder: {name: ci, driver: docker-container, nodes: [{name: ci0, status: running, platforms: [linux/amd64]}]}
summary:
  description: One entry per item of O(builders), in order, when RV(builders) is not empty.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Builder name., type: str}
    state: {description: The state asked for., type: str}
    changed: {description: Whether the builder changed., type: bool}
    status: {description: "Status of the first node (V(running), V(stopped), ...; V(absent))", type: str}
    buildkit_version: {description: BuildKit version of the first node (empty when unknown)., type: str}
    platforms: {description: Platforms of the first node (fixed and detected)., type: list, elements: str}
    network: {description: The builder's network (C(network) or C(driver_opts.network); empty for none)., type: str}
  sample: [{name: ci, state: present, changed: false, status: running, buildkit_version: v0.32.2,
            platforms: [linux/amd64, linux/arm64], network: builders}]
missing_images:
  description: With O(report_missing_images), the BuildKit images missing on the daemon; no builder was touched.
  returned: always
  type: list
  elements: str
  sample: [moby/buildkit:buildx-stable-1]
missing_requirements:
  description: The requirements of O(python_requirements) (markers applied) the module's Python lacks.
  returned: failure
  type: list
  elements: str
  sample: [paramiko]
python_version:
  description: Version of the module's Python, when it lacks something.
  returned: failure
  type: str
  sample: 3.11.2
pending_networks:
  description: The networks of O(networks) that are missing or differ, with what differs; no builder was touched.
  returned: always
  type: list
  elements: dict
  sample: [{name: builders, differences: [missing]}]
interpreter:
  description:
    - The Python that ran the module (with the Docker SDK, it can run the collection's modules).
    - Under the name that outlives a Python upgrade, C(/usr/bin/python3), when the versioned name it ran as
      (C(/usr/bin/python3.13), as interpreter discovery picks) is the same file.
  returned: always
  type: str
  sample: /usr/bin/python3
docker_sdk_missing:
  description: True when the module failed because its Python lacks the Docker SDK for Python >= 7.
  returned: failure
  type: bool
duration:
  description: Seconds the whole task took on the target.
  returned: always
  type: float
'''

import time

from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.batch import Batch, BatchError, summary
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.network_check import NETWORK_ITEM_OPTIONS
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import CheckedModule
from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import docker_module_spec
from ansible_collections.buildkit.fleet.plugins.module_utils._common.python_requirements import stable_interpreter


def argument_spec():
    spec = dict(
        builders=dict(type='list', elements='dict', required=True),
        networks=dict(type='list', elements='dict', default=[], options=NETWORK_ITEM_OPTIONS),
        wait_for_platforms=dict(type='list', elements='str', default=[]),
        platforms_timeout=dict(type='int', default=60),
        image_archive=dict(type='path'),
        report_missing_images=dict(type='bool', default=False),
        python_requirements=dict(type='list', elements='str', default=[]),
    )
    return docker_module_spec(spec, store=True, lock=True)


def main():
    module = CheckedModule(argument_spec=argument_spec(), supports_check_mode=True)
    started = time.monotonic()
    batch = Batch(module.params, module.check_mode, module._diff)
    common = dict(interpreter=stable_interpreter())
    try:
        batch.check()  # every item before any change
        pending = batch.pending_networks()
        missing = batch.missing_images() if module.params['report_missing_images'] else []
        results = [] if (pending or missing) and not module.check_mode else batch.converge()
    except BatchError as exc:
        module.fail_json(msg=exc.msg, duration=round(time.monotonic() - started, 3), builders=[], pending_networks=[],
                         missing_images=[], summary=[], **dict(common, **exc.details))
    for warning in batch.warnings:
        module.warn(warning)
    result = dict(common, changed=any(r['changed'] for r in results), builders=results, pending_networks=pending,
                  missing_images=missing, summary=summary(results, module.params['builders']) if results else [],
                  duration=round(time.monotonic() - started, 3))
    if module._diff:
        result['diff'] = [r.pop('diff') for r in results if 'diff' in r]
    failed = [r for r in results if r.get('failed')]
    if failed:
        module.fail_json(msg='; '.join('builder %s: %s' % (r['name'], r['msg']) for r in failed), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

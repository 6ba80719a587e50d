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
      - The builders. Each item takes the options of M(buildkit.fleet.buildkit_builder) (O(buildkit.fleet.buildkit_builder#module:name)
        is required; C(state), C(driver_opts), C(platforms), C(nodes), C(buildkitd_flags), C(buildkitd_config),
        C(buildkitd_config_inline), C(keep_state), C(bootstrap_timeout), C(recreate), C(pull), C(image_mirrors),
        C(image_archive), C(use)), with the same defaults and checks.
      - The Docker connection options, O(buildx_config) and O(lock_timeout) are given once, for all items.
      - Builders are converged in this order. When one fails, the others are still converged and the task fails
        naming the failed ones.
      - A name may appear once (buildx names are case-insensitive).
    type: list
    elements: dict
    required: true
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
notes:
  - When the Python that runs the module lacks the Docker SDK for Python (>= 7), the task fails with
    RV(docker_sdk_missing=true) and RV(interpreter), so that a role can install it and run the module again.
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
pending_networks:
  description: The networks of O(networks) that are missing or differ, with what differs; no builder was touched.
  returned: always
  type: list
  elements: dict
  sample: [{name: builders, differences: [missing]}]
interpreter:
  description: The Python that ran the module (with the Docker SDK, it can run the collection's modules).
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

import sys
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.batch import NETWORK_ITEM_OPTIONS, Batch, BatchError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import DOCKER_CONNECTION_ARGS
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import fail_early


def argument_spec():
    spec = dict(
        builders=dict(type='list', elements='dict', required=True),
        networks=dict(type='list', elements='dict', default=[], options=NETWORK_ITEM_OPTIONS),
        wait_for_platforms=dict(type='list', elements='str', default=[]),
        platforms_timeout=dict(type='int', default=60),
        buildx_config=dict(type='path'),
        lock_timeout=dict(type='int', default=600),
    )
    spec.update(DOCKER_CONNECTION_ARGS)
    return spec


def main():
    fail_early(argument_spec())
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    started = time.monotonic()
    batch = Batch(module.params, module.check_mode, module._diff)
    common = dict(interpreter=sys.executable)
    try:
        batch.check()  # every item before any change
        pending = batch.pending_networks()
        results = [] if pending and not module.check_mode else batch.converge()
    except BatchError as exc:
        module.fail_json(msg=exc.msg, duration=round(time.monotonic() - started, 3), builders=[], pending_networks=[],
                         **dict(common, **exc.details))
    for warning in batch.warnings:
        module.warn(warning)
    result = dict(common, changed=any(r['changed'] for r in results), builders=results, pending_networks=pending,
                  duration=round(time.monotonic() - started, 3))
    if module._diff:
        result['diff'] = [r.pop('diff') for r in results if 'diff' in r]
    failed = [r for r in results if r.get('failed')]
    if failed:
        module.fail_json(msg='; '.join('builder %s: %s' % (r['name'], r['msg']) for r in failed), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

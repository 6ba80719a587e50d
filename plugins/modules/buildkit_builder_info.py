#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: buildkit_builder_info
short_description: Facts about BuildKit builders in the buildx store - status, workers, GC policy, disk usage
version_added: 0.1.0
description:
  - Reports one builder, or every builder of the buildx store, including builders made by C(docker buildx create)
    and builders with nodes on other Docker endpoints.
  - For each node it reports the container status as buildx names it (V(running), V(stopped), V(inactive) when there
    is no container), or V(unreachable) when the node's endpoint does not answer; the BuildKit version; the fixed
    platforms from the store and the platforms BuildKit detected; the worker labels; the garbage collection policy;
    and the build cache disk usage (total, reclaimable, shared, per record type).
  - It also reports the builder's last activity as buildx records it.
  - It reads C(buildctl debug workers) and C(buildctl du) inside running builder containers and never changes anything -
    a stopped node stays stopped and its facts are limited to the store and the container - unless O(bootstrap=true).
  - A node that cannot be reached or read does not fail the task; its RV(builders[].nodes[].error) says why.
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
    details: Reads the same facts; with O(bootstrap=true) a stopped node is not started in check mode.
  diff_mode:
    support: N/A
    details: Nothing changes, so there is no diff.
  idempotent:
    support: full
    details: Reading changes nothing. With O(bootstrap=true) only the first run starts stopped nodes.
options:
  name:
    description:
      - Name of the builder, as made by M(buildkit.fleet.buildkit_builder) or C(docker buildx create).
      - Without it every builder of the store is reported.
    type: str
  bootstrap:
    description:
      - Start stopped nodes (and wait until C(buildkitd) answers) before reading their facts, as
        C(docker buildx inspect --bootstrap) does. The task then reports C(changed).
      - A node without a container is not created; use M(buildkit.fleet.buildkit_builder) for that.
    type: bool
    default: false
  bootstrap_timeout:
    description: Seconds to wait for C(buildkitd) to answer after a start with O(bootstrap=true).
    type: int
    default: 60
  disk_usage:
    description: Read the build cache disk usage (C(buildctl du)) of running nodes. Large caches take a moment.
    type: bool
    default: true
  disk_usage_records:
    description: Also return every cache record in RV(builders[].nodes[].disk_usage.entries).
    type: bool
    default: false
notes:
  - The connection options are the defaults for every node; a node endpoint from the store replaces O(docker_host)
    (a docker context name brings its own TLS files).
seealso:
  - module: buildkit.fleet.buildkit_builder
  - module: buildkit.fleet.buildkit_prune
  - name: docker buildx inspect
    description: The buildx command this module reads like.
    link: https://docs.docker.com/reference/cli/docker/buildx/inspect/
'''

EXAMPLES = r'''
- name: Facts about one builder
  buildkit.fleet.buildkit_builder_info:
    name: ci
  register: ci_info

- name: Fail when the builder cache is nearly full (a stopped node has disk_usage null)
  ansible.builtin.assert:
    that: ci_info.builder.nodes[0].disk_usage is none or ci_info.builder.nodes[0].disk_usage.total < 50 * 1024 ** 3
    fail_msg: "{{ ci_info.builder.name }} holds {{ ci_info.builder.nodes[0].disk_usage.total | human_readable }} of cache"

- name: Every builder of a store, including the ones docker buildx create made
  buildkit.fleet.buildkit_builder_info:
    buildx_config: /home/ci/.docker/buildx
  register: all_builders

- name: Names of stopped builders
  ansible.builtin.debug:
    msg: "{{ all_builders.builders | selectattr('status', 'equalto', 'stopped') | map(attribute='name') | list }}"

- name: Start a stopped builder and read its detected platforms
  buildkit.fleet.buildkit_builder_info:
    name: ci
    bootstrap: true
    disk_usage: false
  register: booted

- name: Show them
  ansible.builtin.debug:
    var: booted.builder.nodes[0].platforms
'''

RETURN = r'''
builder:
  description: The builder named by O(name); V(null) when the store has no such builder.
  returned: when O(name) is given
  type: dict
  sample: {name: ci, driver: docker-container, status: running, nodes: []}
buildx_config:
  description: The buildx store directory that was read.
  returned: always
  type: str
  sample: /home/ci/.docker/buildx
exists:
  description: Whether the store has the builder named by O(name).
  returned: when O(name) is given
  type: bool
builders:
  description: The builders reported - the one named by O(name), or every builder of the store, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Builder name as stored.
      type: str
      sample: ci
    driver:
      description: buildx driver. Only V(docker-container) nodes are inspected.
      type: str
      sample: docker-container
    status:
      description: The common status of all nodes, or V(mixed).
      type: str
      sample: running
    current:
      description: Whether it is buildx's current builder (C(docker buildx use)).
      type: bool
    last_activity:
      description: When buildx last used or changed it (UTC, RFC 3339), or V(null) when never recorded.
      type: str
      sample: '2026-11-28T07:17:24Z'
    nodes:
      description: One entry per node.
      type: list
      elements: dict
      contains:
        name:
          description: Node name.
          type: str
          sample: ci0
        endpoint:
          description: The node's Docker endpoint from the store.
          type: str
          sample: unix:///var/run/docker.sock
        status:
          description:
            - V(running), V(stopped), V(inactive) (no container), V(unreachable) (the endpoint does not answer),
              or V(unknown) for drivers other than docker-container.
          type: str
          sample: running
        error:
          description: Why facts are missing, for example an unreachable endpoint or C(buildkitd) not answering.
          type: str
          sample: null
        notes:
          description: Remarks, such as what O(bootstrap) would do in check mode.
          type: list
          elements: str
        booted:
          description: Whether this run started the node (O(bootstrap=true)).
          type: bool
        container:
          description: Container name.
          type: str
          sample: buildx_buildkit_ci0
        container_id:
          description: Container id, V(null) without a container.
          type: str
        image:
          description: The image the container runs.
          type: str
          sample: moby/buildkit:buildx-stable-1
        started_at:
          description: When the container last started (Docker's time), for running nodes.
          type: str
        volume:
          description: The state volume that holds the build cache.
          type: str
          sample: buildx_buildkit_ci0_state
        volume_exists:
          description: Whether the state volume exists.
          type: bool
        serve:
          description:
            - What the node serves on TCP with mutual TLS (the C([grpc]) section of its C(buildkitd.toml), the port
              published on the host and the certificate in its container), V(null) when it only has its unix socket.
            - Read from the container, running or stopped.
          type: dict
          version_added: 0.2.0
          contains:
            address: {description: "Host address the port is published on (with host networking, the listen address).", type: str, sample: 0.0.0.0}
            port: {description: Host port clients connect to., type: int, sample: 1234}
            subject: {description: Subject of the served certificate., type: str, sample: CN=farm-a}
            sans:
              description: Subject alternative names of the served certificate.
              type: list
              elements: str
              sample: ["DNS:farm-a.example", "IP:192.0.2.10"]
            serial: {description: Serial number of the served certificate (hex)., type: str, sample: 5f9a205fb6a33b249ac1dd5f6d7a52398bbd392d}
            not_after: {description: End of the certificate's validity (UTC)., type: str, sample: '2027-03-05T23:45:19Z'}
            days_left: {description: "Whole days until RV(builders[].nodes[].serve.not_after) (negative once expired).", type: int, sample: 89}
        gc:
          description:
            - The GC policy in force, as C(buildctl debug workers) reports it (sizes in bytes, durations in seconds),
              the same as RV(builders[].nodes[].gc_policy); V(null) for a node that is not running.
            - Builders made with the O(buildkit.fleet.buildkit_builder#module:gc) option show it as one rule with
              C(all=true).
          type: list
          elements: dict
          version_added: 0.2.0
          sample: [{all: true, filters: [], keep_duration: 172800, max_used_space: 21474836480, reserved_space: 0, min_free_space: 0}]
        buildkit_version:
          description: BuildKit version of a running node.
          type: str
          sample: v0.32.2
        fixed_platforms:
          description: Platforms fixed in the store (C(--platform) of C(buildx create)); builds for them go to this node.
          type: list
          elements: str
          sample: [linux/amd64]
        platforms:
          description: Platforms BuildKit detected (native and emulated), of a running node.
          type: list
          elements: str
          sample: [linux/amd64, linux/amd64/v2, linux/arm64]
        worker_labels:
          description: Labels of the BuildKit worker.
          type: dict
          sample: {org.mobyproject.buildkit.worker.executor: oci, org.mobyproject.buildkit.worker.snapshotter: overlayfs}
        gc_policy:
          description: Garbage collection rules of the worker, in order; sizes in bytes, durations in seconds.
          type: list
          elements: dict
          sample:
            - {all: false, filters: [type==source.local], keep_duration: 172800, reserved_space: 0,
               max_used_space: 512000000, min_free_space: 0}
        disk_usage:
          description: Build cache usage of a running node in bytes, V(null) when not read.
          type: dict
          contains:
            total:
              description: Bytes of all records.
              type: int
            reclaimable:
              description: Bytes of records not in use (what C(buildx prune --all) could free at most).
              type: int
            shared:
              description: Bytes shared with other records or images.
              type: int
            private:
              description: Bytes not shared.
              type: int
            records:
              description: Number of records.
              type: int
            by_type:
              description: Records, total and reclaimable bytes per record type (V(regular), V(source.local), V(exec.cachemount), ...).
              type: dict
              sample: {regular: {records: 2, total: 5013504, reclaimable: 5013504}}
            entries:
              description:
                - Every record (id, type, size, in_use, shared, mutable, description, usage_count, created_at, last_used_at, parents).
                - Not called C(items), so that Jinja's dot notation reaches it (C(items) is a method of every dict).
              type: list
              elements: dict
              returned: with O(disk_usage_records=true)
        driver_opts:
          description: Driver options from the store, spelled as buildx spells them.
          type: dict
        flags:
          description: C(buildkitd) flags from the store.
          type: list
          elements: str
'''

from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.facts import builder_facts
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore, default_root
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import check_sdk
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import CheckedModule
from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import docker_module_spec


def argument_spec():
    return docker_module_spec(dict(
        name=dict(type='str'),
        bootstrap=dict(type='bool', default=False),
        bootstrap_timeout=dict(type='int', default=60),
        disk_usage=dict(type='bool', default=True),
        disk_usage_records=dict(type='bool', default=False),
    ))


def main():
    module = CheckedModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    check_sdk(module)
    if params['bootstrap_timeout'] <= 0:
        module.fail_json(msg="bootstrap_timeout: must be a positive number of seconds, got '%s'" % params['bootstrap_timeout'])
    store = BuildxStore(params['buildx_config'] or default_root())
    names = [params['name']] if params['name'] else store.names()
    current = store.current()
    options = dict(bootstrap=params['bootstrap'], bootstrap_timeout=params['bootstrap_timeout'],
                   check_mode=module.check_mode, disk_usage=params['disk_usage'],
                   records=params['disk_usage_records'])
    builders = []
    for name in names:
        try:
            facts = builder_facts(store, name, params, current=current, **options)
        except ValueError as exc:  # a store file that is not JSON
            module.fail_json(msg='buildx store entry %s in %s cannot be read: %s' % (name, store.root, exc))
        if facts is not None:
            builders.append(facts)
    builders.sort(key=lambda b: b['name'].lower())
    result = dict(changed=any(n.get('booted') for b in builders for n in b['nodes']), builders=builders,
                  buildx_config=store.root)
    if params['name']:
        result['builder'] = builders[0] if builders else None
        result['exists'] = bool(builders)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

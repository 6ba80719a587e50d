#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: buildkit_prune
short_description: Prune the build cache of a BuildKit builder and remove orphaned builder state volumes
version_added: 0.1.0
description:
  - Prunes the build cache of every node of a builder, like C(docker buildx prune --force), with record type and age
    filters, the storage limits O(keep_storage), O(max_used_space) and O(min_free_space), and O(all). It runs
    C(buildctl prune) inside each builder container and returns the bytes reclaimed.
  - It reports C(changed) only when a cache record or a volume was removed; a second run with the same options
    reports no change.
  - With O(orphaned_volumes=true) it also removes the state volumes C(buildx_buildkit_<node>_state) that builders left
    behind - the volumes C(docker volume prune) does not touch and that C(docker buildx rm --keep-state), a removed
    store or a deleted container leave on the daemon.
  - A state volume is B(orphaned) when no node of any builder in the store (O(buildx_config)) has its node name
    AND no container - running or stopped - mounts it. Only volumes whose node name matches
    O(orphaned_volumes_pattern) are considered. Volumes of builders that live in B(other) buildx stores (other users,
    other E(BUILDX_CONFIG) directories) whose container is gone look orphaned too; restrict the pattern when
    several stores share a daemon.
  - Orphaned volumes are looked for on the daemon of the connection options (O(docker_host)); to clean several
    daemons, run the task once per daemon.
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
      - Removes nothing. Reports the records and orphaned volumes that would be removed and the bytes that would be
        reclaimed, computed from C(buildctl du) the way BuildKit selects records for a prune (an estimate when
        a storage limit is set, since BuildKit removes records one at a time until the limit holds).
      - Stopped nodes are not started in check mode; their RV(nodes[].reclaimed) is V(null).
  diff_mode:
    support: none
    details: Removed records are listed in RV(nodes) and removed volumes in RV(orphaned_volumes); there is no diff.
  idempotent:
    support: full
    details: A second run with the same options removes nothing and reports no change.
options:
  name:
    description:
      - Name of the builder whose cache is pruned, as made by M(buildkit.fleet.buildkit_builder) or C(docker buildx create).
      - May be left out with O(orphaned_volumes=true) to only remove orphaned volumes.
    type: str
  filters:
    description: Which records to prune. Without filters every unused record is pruned (internal ones only with O(all)).
    type: dict
    suboptions:
      type:
        description: Record types to prune; a record of any listed type matches.
        type: list
        elements: str
        choices: [regular, source.local, source.git.checkout, exec.cachemount, frontend, internal]
      until:
        description:
          - Keep records used more recently than this; a Go duration such as V(24h), V(1h30m) or V(45m),
            V(7d) for days, or a number of seconds (C(buildx prune --filter until=24h)).
        type: str
      expressions:
        description:
          - More BuildKit filters, each ANDed with the type filter, for example V(description~=COPY) or V(id==abc).
            Fields are C(id), C(description), C(type), C(parents) (C(==), C(!=), C(~=) regexp) and the bare
            C(inuse), C(mutable), C(immutable), C(shared), C(private).
        type: list
        elements: str
  keep_storage:
    description:
      - Always keep this much cache (BuildKit's reserved space, C(buildx prune --keep-storage)/C(--reserved-space)),
        for example V(10g) or V(512MiB). Binary units as in buildx.
    type: str
  max_used_space:
    description: Prune until the cache uses at most this much, least recently used records first (C(--max-used-space)).
    type: str
  min_free_space:
    description: Prune until the builder's file system has at least this much free space (C(--min-free-space)).
    type: str
  all:
    description: Also prune internal and frontend records and records shared with images (C(buildx prune --all)).
    type: bool
    default: false
  bootstrap:
    description:
      - Start a stopped node for the prune and stop it again afterwards. With V(false) stopped nodes are skipped.
      - Nodes without a container have no running cache to prune and are skipped.
    type: bool
    default: true
  bootstrap_timeout:
    description: Seconds to wait for C(buildkitd) to answer after starting a stopped node.
    type: int
    default: 60
  orphaned_volumes:
    description: Also remove orphaned builder state volumes (see the description for what counts as orphaned).
    type: bool
    default: false
  orphaned_volumes_pattern:
    description:
      - Shell pattern the node name of an orphaned volume (the part between C(buildx_buildkit_) and C(_state)) must
        match to be removed, for example V(ci-*). The default matches every node.
    type: str
    default: '*'
notes:
  - The prune runs as a Docker exec; pruning a very large cache can take longer than O(timeout) (the Docker API
    timeout, 60 seconds by default) - raise it for such builders.
  - BuildKit removes one record even when O(min_free_space) already holds; the module measures the free space of the
    cache file system first and skips that prune, so repeated runs stay idempotent.
seealso:
  - module: buildkit.fleet.buildkit_builder_info
  - module: buildkit.fleet.buildkit_builder
  - name: docker buildx prune
    description: The buildx command this module does declaratively.
    link: https://docs.docker.com/reference/cli/docker/buildx/prune/
  - name: setup-buildx-action issue 122
    description: Orphaned state volumes piling up.
    link: https://github.com/docker/setup-buildx-action/issues/122
'''

EXAMPLES = r'''
- name: Remove cache records unused for a week
  buildkit.fleet.buildkit_prune:
    name: ci
    filters:
      until: 7d
  register: pruned

- name: Show what it freed
  ansible.builtin.debug:
    msg: "{{ pruned.reclaimed | human_readable }} in {{ pruned.records_removed }} records"

- name: Keep the cache under 20 GB, dropping local sources and cache mounts first
  buildkit.fleet.buildkit_prune:
    name: ci
    filters:
      type: [source.local, exec.cachemount]
    max_used_space: 20g

- name: Everything, internal records included, but keep 5 GB
  buildkit.fleet.buildkit_prune:
    name: ci
    all: true
    keep_storage: 5g

- name: How much would a full prune free? (nothing is removed)
  buildkit.fleet.buildkit_prune:
    name: ci
    all: true
  check_mode: true
  register: would

- name: Remove the state volumes of CI builders that no longer exist
  buildkit.fleet.buildkit_prune:
    orphaned_volumes: true
    orphaned_volumes_pattern: "ci-*"
'''

RETURN = r'''
reclaimed:
  description: Bytes freed (in check mode, that would be freed) - cache records plus orphaned volumes of known size.
  returned: always
  type: int
  sample: 10035200
cache_reclaimed:
  description: Bytes of the cache records removed (would be removed in check mode).
  returned: always
  type: int
  sample: 10035200
records_removed:
  description: Number of cache records removed (would be removed in check mode).
  returned: always
  type: int
  sample: 5
volumes_reclaimed:
  description: Bytes of the orphaned volumes removed, as C(docker system df) measured them.
  returned: always
  type: int
  sample: 0
nodes:
  description: The prune of each node of O(name).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
      sample: ci0
    status:
      description: Node status before the prune (V(running), V(stopped), V(inactive), V(unreachable)).
      type: str
    reclaimed:
      description: Bytes freed on this node; V(null) for a stopped node in check mode.
      type: int
    records_removed:
      description: Records removed on this node.
      type: int
    by_type:
      description: Records and bytes removed per record type.
      type: dict
      sample: {regular: {records: 2, size: 5013504}}
    started:
      description: Whether the node was started for the prune (and stopped again).
      type: bool
    skipped:
      description: Why the node was not pruned, or V(null).
      type: str
orphaned_volumes:
  description: The orphaned state volumes found (with O(orphaned_volumes=true)), and whether each was removed.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: buildx_buildkit_ci-old0_state, node: ci-old0, size: 31457280, removed: true, reason: null}
estimated:
  description: Whether the numbers are a check mode estimate.
  returned: always
  type: bool
command:
  description: The C(buildctl) command run in each builder container.
  returned: when O(name) is given
  type: list
  elements: str
  sample: [buildctl, prune, --format, '{{json .}}', --keep-duration, 168h0m0s]
'''


from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._cache import prune
from ansible_collections.buildkit.fleet.plugins.module_utils._cache.du import RECORD_TYPES
from ansible_collections.buildkit.fleet.plugins.module_utils._cache.prune_options import prune_argv, prune_options
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore, default_root
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import (
    APIError, DockerException, check_sdk, connect_or_fail)
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import CheckedModule
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import docker_module_spec
from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import NodeError
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import DRIVER


def argument_spec():
    return docker_module_spec(dict(
        name=dict(type='str'),
        filters=dict(type='dict', options=dict(
            type=dict(type='list', elements='str', choices=list(RECORD_TYPES)),
            until=dict(type='str'),
            expressions=dict(type='list', elements='str'),
        )),
        keep_storage=dict(type='str'),
        max_used_space=dict(type='str'),
        min_free_space=dict(type='str'),
        all=dict(type='bool', default=False),
        bootstrap=dict(type='bool', default=True),
        bootstrap_timeout=dict(type='int', default=60),
        orphaned_volumes=dict(type='bool', default=False),
        orphaned_volumes_pattern=dict(type='str', default='*'),
    ))


def read_builder(module, store):
    """The store entry of O(name); fails the module when it is missing, unreadable or not docker-container."""
    name = module.params['name']
    try:
        group = store.read(name)
    except ValueError as exc:
        module.fail_json(msg='buildx store entry %s in %s cannot be read: %s' % (name, store.root, exc))
    if group is None:
        module.fail_json(msg="builder '%s' is not in the buildx store %s" % (name, store.root))
    if group['driver'] != DRIVER:
        module.fail_json(msg="builder '%s' uses the %s driver; only docker-container builders are pruned"
                         % (name, group['driver']))
    return group


def main():
    module = CheckedModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    check_sdk(module)
    if not params['name'] and not params['orphaned_volumes']:
        module.fail_json(msg='name: the builder to prune is required unless orphaned_volumes=true')
    if params['bootstrap_timeout'] <= 0:
        module.fail_json(msg="bootstrap_timeout: must be a positive number of seconds, got '%s'" % params['bootstrap_timeout'])
    try:
        opts = prune_options(params)
    except SpecError as exc:
        module.fail_json(msg=str(exc))
    argv = prune_argv(opts)
    store = BuildxStore(params['buildx_config'] or default_root())
    result = dict(changed=False, estimated=module.check_mode, nodes=[], orphaned_volumes=[])
    if params['name']:
        result['command'] = argv
        for node in read_builder(module, store)['nodes']:
            try:
                result['nodes'].append(prune.prune_node(node, params, opts, argv, module.check_mode))
            except NodeError as exc:
                module.fail_json(msg=str(exc), **result)
    if params['orphaned_volumes']:
        client = connect_or_fail(module)
        try:
            result['orphaned_volumes'] = prune.prune_orphans(client, store, params['orphaned_volumes_pattern'],
                                                             module.check_mode)
        except (APIError, DockerException) as exc:
            module.fail_json(msg='listing state volumes on %s failed: %s' % (client.base_url, exc))
    result.update(prune.totals(result['nodes'], result['orphaned_volumes'], module.check_mode))
    module.exit_json(**result)


if __name__ == '__main__':
    main()

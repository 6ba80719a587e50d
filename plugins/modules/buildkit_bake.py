#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: buildkit_bake
short_description: Build the targets of bake files, each skipped when its resolved inputs did not change
version_added: 0.2.0
description:
  - Builds the targets of C(docker buildx bake) files (HCL, JSON or compose) on a BuildKit builder, and builds
    only the targets whose inputs changed since their outputs were made.
  - The definition is resolved by bake itself (C(docker buildx bake --print) with the same files, targets,
    overrides and variables); the module never parses HCL.
  - Each resolved target gets a reproducible B(fingerprint), computed by the same code as
    M(buildkit.fleet.buildkit_build) - its resolved definition, its context files (with C(.dockerignore)), its
    Dockerfile and its local named contexts. Secrets count by id, never by value. A target that uses another
    through a named context C(target:<name>) includes that target's fingerprint, so a changed base changes
    its dependents.
  - A target is B(stale) when an output does not hold its fingerprint (the image label
    C(buildkit.fleet.fingerprint) of a loaded or pushed image, or the record C(<dest>.buildkit-fleet.json) beside
    a file output), when an output is missing, when it has no output to check, or when a target it uses is stale.
  - All stale targets are built in B(one) C(bake) call (one per node of a pool, see O(placement)), so bake's own deduplication and parallelism apply; each
    image is labelled with its fingerprint and with the digests of its inputs (C(buildkit.fleet.bake.inputs)), from
    which the next run tells which input changed - a file, a variable, the definition, a dependency.
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
    details: Resolves, fingerprints and checks the outputs; RV(stale_targets) lists exactly the targets a real run would build.
  diff_mode:
    support: full
    details: Per target, the recorded input digests (before) and the current ones with the reasons to build (after).
  idempotent:
    support: full
    details: A second run with the same inputs builds nothing and reports no change.
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
  working_dir:
    description:
      - The directory bake runs in. Relative paths of the bake files (context, Dockerfile, named contexts,
        output destinations) are relative to it, and so are relative O(files).
    type: path
    required: true
  files:
    description:
      - Bake files (HCL, JSON or compose), in order; later files override earlier ones, as with C(bake --file).
      - Without it bake reads its default files in O(working_dir) (C(compose.yaml), C(docker-bake.hcl), ...).
    type: list
    elements: path
  targets:
    description:
      - Targets and groups to build. Without it, the C(default) group.
      - Targets that the requested ones use through C(target:) contexts are built inside their dependents'
        builds; they are reported only when requested.
    type: list
    elements: str
  set:
    description:
      - Overrides of target values, as C(bake --set), for example V(web.args.VERSION=2) or V(*.platforms=linux/arm64).
    type: list
    elements: str
  variables:
    description:
      - Values of the bake file's variables, given to bake through its environment (as bake reads them).
      - A variable counts only through the fields it changes in the resolved targets, so a changed variable
        rebuilds only the targets that use it.
    type: dict
  push:
    description: Push every target's image to its registry (C(bake --push)).
    type: bool
    default: false
  load:
    description: Load every target's image into Docker (C(bake --load)).
    type: bool
    default: false
  no_cache:
    description: Do not use the build cache (C(--no-cache)) when building the stale targets.
    type: bool
    default: false
  pull:
    description: Always look for newer versions of base images (C(--pull)).
    type: bool
    default: false
  provenance:
    description: Provenance attestation of every target (C(--provenance)), for example V(false) or V(mode=max).
    type: str
  sbom:
    description: SBOM attestation of every target (C(--sbom)), for example V(true).
    type: str
  allow:
    description:
      - Entitlements granted to the build (C(--allow)), for example V(network.host), V(security.insecure) or
        V(fs.read=/srv/shared).
      - A target whose C(entitlements) asks for one that is not granted fails the task before anything is built.
    type: list
    elements: str
  metadata_file:
    description:
      - Where to write bake's C(--metadata-file) of the stale targets' build (digests, build refs), when a build ran.
    type: path
  rebuild:
    description:
      - V(changed) builds the stale targets only.
      - V(always) builds every requested target.
    type: str
    choices: [changed, always]
    default: changed
  build_timeout:
    description:
      - Seconds the bake call may take; then bake is stopped and the task fails.
    type: int
    default: 3600
notes:
  - A target counts as built from its inputs only when every one of its outputs can be checked - a loaded image
    (C(type=docker)) and a pushed one (C(type=registry), or C(type=image,push=true)) need tags; file outputs
    (C(local), C(tar), C(oci)) need a destination. Other targets (C(cacheonly), no output) are built every time.
  - Pushed images are read anonymously over the registry API where the registry allows it (over plain HTTP only
    for loopback addresses), else with C(buildx imagetools inspect), which uses the docker credentials of the
    remote user.
  - Context files are read once; their content digests are cached in C(~/.cache/buildkit-fleet) as for
    M(buildkit.fleet.buildkit_build).
seealso:
  - module: buildkit.fleet.buildkit_build
  - module: buildkit.fleet.buildkit_builder
  - name: docker buildx bake
    description: The command this module runs.
    link: https://docs.docker.com/reference/cli/docker/buildx/bake/
'''

EXAMPLES = r'''
- name: Build and push the default group of docker-bake.hcl, only the targets that changed
  buildkit.fleet.buildkit_bake:
    builder: ci
    working_dir: /srv/app
    files: [docker-bake.hcl]
    variables:
      TAG: "1.4"
    push: true
  register: bake

- name: Show what was built and why
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ 'built' if item.value.built else 'skipped' }} ({{ item.value.reason }})"
  loop: "{{ bake.targets | dict2items }}"

- name: Two targets with an override, images loaded into Docker, the metadata kept
  buildkit.fleet.buildkit_bake:
    builder: ci
    working_dir: /srv/app
    files: [docker-bake.hcl, docker-bake.override.hcl]
    targets: [web, api]
    set:
      - web.args.GREETING=hi
    load: true
    metadata_file: /srv/app/bake-metadata.json
'''

RETURN = r'''
targets:
  description:
    - Per requested target - whether it was built (V(false) when skipped and in check mode), whether it is stale,
      the reason, the fingerprint, the tags, the targets it uses, and what is known of its result.
    - C(reasons) lists each reason to build - an output missing or built from other inputs, the inputs that
      changed (C(files in the context), C(Dockerfile), C(variable NAME), C(definition (args.NAME, ...)),
      C(dependency NAME)), a dependency rebuilt.
    - C(placement) (of a stale target) - the node that builds it (C(node); the first platform's when its
      platforms are spread), why (C(reason) - V(affinity), V(failover), V(only node), V(boot), as in
      M(buildkit.fleet.buildkit_build)'s RV(buildkit.fleet.buildkit_build#module:placement.platforms)), the nodes
      skipped before it with their state (C(failover_from)), the pool in hash order (C(order)), C(by) (V(hash) or
      V(store)), C(applied), the target its dependency group was placed by (C(placed_by)) and the decision per
      platform (C(platforms)).
    - C(digest) is the image digest of bake's metadata (the index of a pushed image), C(platform_digests) the
      manifest digest of each platform (from the registry for pushed images), C(steps) the Dockerfile
      instruction steps of a built target (C(total), C(cached), C(executed), C(pulled)) as
      M(buildkit.fleet.buildkit_build) counts them.
  returned: when the inputs were valid
  type: dict
  sample:
    web: {built: true, stale: true, reason: "inputs changed: files in the context", fingerprint: "sha256:3a5b...",
          tags: ["registry.example.com/web:1"], depends_on: [], digest: "sha256:afe0...",
          platform_digests: {linux/amd64: "sha256:bd6e..."}, steps: {total: 2, cached: 1, executed: 1, pulled: 0},
          placement: {node: ci1, reason: failover, failover_from: [{node: ci0, state: stopped}], order: [ci0, ci1],
                      by: hash, applied: true, placed_by: web, platforms: {linux/amd64: {node: ci1, reason: failover}}}}
placement:
  description:
    - How the stale targets were placed on the nodes of the builder (or, in check mode, would be); see O(placement).
      Each stale target's own decision is in C(targets.<name>.placement).
    - Not returned when nothing is stale (no node is asked).
  returned: when a target was built, would be built (check mode), or the build failed
  type: dict
  version_added: 0.2.0
  contains:
    mode:
      description: The O(placement) in force.
      type: str
      sample: affinity
    applied:
      description:
        - Whether the module chose the nodes and built through views of them; V(false) when buildx chose (V(buildx)
          mode, one node per platform, another driver, or no usable node).
      type: bool
      sample: true
    note:
      description: Why buildx chose the nodes, when it did.
      type: str
      returned: when buildx chose the nodes of a target
    nodes_asked:
      description:
        - "The nodes asked before the build, with what they answered - V(healthy), V(stopped), V(inactive) (no
          container), C(unreachable: ...), C(not answering: ...), C(no answer within <n>s)."
      type: dict
      sample: {ci0: stopped, ci1: healthy}
    calls:
      description:
        - The C(bake) calls, each with the nodes of its view (empty - the builder as it is, buildx chooses), its
          targets and, when there were several calls, its command line.
      type: list
      elements: dict
      sample: [{nodes: [ci0], targets: [web, api]}, {nodes: [ci1], targets: [base, app]}]
  sample:
    mode: affinity
    applied: true
    nodes_asked: {ci0: stopped, ci1: healthy}
    calls: [{nodes: [ci1], targets: [web, api]}]
order:
  description: The requested targets, each after the targets it uses.
  returned: when the inputs were valid
  type: list
  elements: str
stale_targets:
  description: The targets that are built (or in check mode, would be built), in order.
  returned: when the inputs were valid
  type: list
  elements: str
built_targets:
  description: The targets built by this run (empty when nothing was stale, and in check mode).
  returned: always
  type: list
  elements: str
skipped_targets:
  description: The requested targets whose outputs hold their fingerprint.
  returned: when the inputs were valid
  type: list
  elements: str
definition:
  description: The resolved targets as C(bake --print) gave them.
  returned: when the inputs were valid
  type: dict
command:
  description:
    - The bake command line of the build (empty when nothing is stale); the first call's when the stale targets were
      spread over several nodes (each call's is in RV(placement.calls)).
  returned: when the inputs were valid
  type: list
  elements: str
metadata:
  description: The JSON bake wrote to C(--metadata-file), per target.
  returned: when built
  type: dict
warnings_build:
  description: Build warnings BuildKit reported.
  returned: when built
  type: list
  elements: str
duration:
  description: Seconds the task took on the target.
  returned: when the inputs were valid
  type: float
build_duration:
  description: Seconds the bake call took.
  returned: when built
  type: float
timings:
  description:
    - Seconds spent in the main steps - C(check), C(resolve) (C(bake --print)), C(fingerprint), C(lock),
      C(outputs) (are they up to date), C(placement) (nodes asked and chosen), C(build) and C(results).
  returned: when the inputs were valid
  type: dict
failed_step:
  description: On a failed build, the step that failed.
  returned: on failure
  type: str
log_tail:
  description: On a failed build, the last lines of the failing step's log.
  returned: on failure
  type: list
  elements: str
'''

from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._bake.run import run_module
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import CheckedModule
from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import docker_module_spec


def argument_spec():
    spec = dict(
        builder=dict(type='str', required=True),
        buildx_path=dict(type='path'),
        working_dir=dict(type='path', required=True),
        files=dict(type='list', elements='path'),
        targets=dict(type='list', elements='str'),
        set=dict(type='list', elements='str'),
        variables=dict(type='dict'),
        push=dict(type='bool', default=False),
        load=dict(type='bool', default=False),
        no_cache=dict(type='bool', default=False),
        pull=dict(type='bool', default=False),
        provenance=dict(type='str'),
        sbom=dict(type='str'),
        allow=dict(type='list', elements='str'),
        metadata_file=dict(type='path'),
        rebuild=dict(type='str', default='changed', choices=['changed', 'always']),
        build_timeout=dict(type='int', default=3600),
    )
    return docker_module_spec(spec, store=True, placement=True)


def main():
    module = CheckedModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module)


if __name__ == '__main__':
    main()

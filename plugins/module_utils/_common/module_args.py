# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options every Docker module of the collection shares, written once (pure).

Each block here has its documentation in the doc fragment of the same name in plugins/doc_fragments:
``DOCKER_COMMON_ARGS`` in ``_docker``, ``BUILDX_STORE_ARGS`` in ``_buildx_store``, ``LOCK_ARGS`` in
``_buildx_store.LOCK``, ``PLACEMENT_ARGS`` (buildkit_build and buildkit_bake) in ``_placement``. A module builds
its argument spec with `docker_module_spec` and extends the fragments.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible.module_utils.basic import env_fallback

# Connection to the Docker daemon (doc fragment buildkit.fleet._docker).
DOCKER_COMMON_ARGS = dict(
    docker_host=dict(type='str', aliases=['docker_url'], fallback=(env_fallback, ['DOCKER_HOST'])),
    tls=dict(type='bool', default=False, fallback=(env_fallback, ['DOCKER_TLS'])),
    validate_certs=dict(type='bool', default=False, aliases=['tls_verify'],
                        fallback=(env_fallback, ['DOCKER_TLS_VERIFY'])),
    ca_path=dict(type='path', aliases=['ca_cert', 'tls_ca_cert', 'cacert_path']),
    client_cert=dict(type='path', aliases=['tls_client_cert', 'cert_path']),
    client_key=dict(type='path', aliases=['tls_client_key', 'key_path']),
    api_version=dict(type='str', default='auto', aliases=['docker_api_version'],
                     fallback=(env_fallback, ['DOCKER_API_VERSION'])),
    timeout=dict(type='int', default=60, fallback=(env_fallback, ['DOCKER_TIMEOUT'])),
)

# The buildx store on the target (doc fragment buildkit.fleet._buildx_store).
BUILDX_STORE_ARGS = dict(
    buildx_config=dict(type='path'),
)

# Serialized runs of one builder (doc fragment buildkit.fleet._buildx_store.lock).
LOCK_ARGS = dict(
    lock_timeout=dict(type='int', default=600),
)

# How the node of each platform is chosen in a pool (doc fragment buildkit.fleet._placement).
PLACEMENT_ARGS = dict(
    placement=dict(type='str', default='affinity', choices=['affinity', 'buildx']),
    placement_timeout=dict(type='int', default=10),
)


def docker_module_spec(own, store=True, lock=False, placement=False):
    """`own` options plus the connection options, and the store, lock and placement options when the module has them.

    A module option of the same name as a shared one is an error: each option is defined once."""
    spec = copy.deepcopy(own)
    shared = dict(DOCKER_COMMON_ARGS)
    if store:
        shared.update(BUILDX_STORE_ARGS)
    if lock:
        shared.update(LOCK_ARGS)
    if placement:
        shared.update(PLACEMENT_ARGS)
    twice = sorted(set(spec).intersection(shared))
    if twice:
        raise ValueError('options defined twice: %s' % ', '.join(twice))
    spec.update(copy.deepcopy(shared))
    return spec

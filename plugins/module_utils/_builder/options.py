# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options of one builder, shared by buildkit_builder and each item of buildkit_builders (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.driver_opts import DRIVER_OPTS_ARGS
from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import (
    BUILDX_STORE_ARGS, LOCK_ARGS, docker_module_spec)

MUTUALLY_EXCLUSIVE = [('buildkitd_config', 'buildkitd_config_inline'), ('platforms', 'nodes')]

# Shared by every builder of one buildkit_builders call (top-level options there); defined in module_args.
SHARED_OPTIONS = tuple(BUILDX_STORE_ARGS) + tuple(LOCK_ARGS)

# The builder also listens on TCP with mutual TLS (files on the target, placed into the container by the module).
SERVE_ARGS = dict(
    port=dict(type='int', required=True),
    address=dict(type='str', default='0.0.0.0'),
    ca_cert=dict(type='path', required=True),
    cert=dict(type='path', required=True),
    key=dict(type='path', required=True, no_log=False),
    names=dict(type='list', elements='str', default=[]),
)

# BuildKit's cache ceiling: one [[worker.oci.gcpolicy]] rule (all = true) in buildkitd.toml.
GC_ARGS = dict(
    max_used_space=dict(type='str'),
    reserved_space=dict(type='str'),
    min_free_space=dict(type='str'),
    keep_duration=dict(type='str'),
)


def item_options():
    """The options of one builder: an item of buildkit_builders, without the shared store, lock and connection options."""
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'stopped', 'absent']),
        driver_opts=dict(type='dict', default={}, options=DRIVER_OPTS_ARGS),
        buildkitd_config=dict(type='path'),
        buildkitd_config_inline=dict(type='str'),
        buildkitd_flags=dict(type='list', elements='str'),
        platforms=dict(type='list', elements='str'),
        nodes=dict(type='list', elements='dict', options=dict(
            name=dict(type='str'),
            endpoint=dict(type='str'),
            platforms=dict(type='list', elements='str'),
            driver_opts=dict(type='dict'),
            buildkitd_flags=dict(type='list', elements='str'),
            tls=dict(type='bool'),
            validate_certs=dict(type='bool'),
            ca_path=dict(type='path'),
            client_cert=dict(type='path'),
            client_key=dict(type='path'),
        )),
        keep_state=dict(type='bool', default=False),
        bootstrap_timeout=dict(type='int', default=60),
        recreate=dict(type='str', default='changed', choices=['changed', 'always', 'never']),
        pull=dict(type='bool', default=True),
        image_mirrors=dict(type='list', elements='str'),
        image_archive=dict(type='path'),
        use=dict(type='bool', default=False),
        serve=dict(type='dict', options=SERVE_ARGS),
        gc=dict(type='dict', options=GC_ARGS),
    )


def builder_options():
    """The argument spec of buildkit_builder: one builder's options and the shared ones (store, lock, connection)."""
    return docker_module_spec(item_options(), store=True, lock=True)

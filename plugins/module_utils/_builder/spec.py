# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Desired builder spec from module options, the way buildx computes it (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import driver_opts as dopts
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.node_plan import node_entries
from ansible_collections.buildkit.fleet.plugins.module_utils._builder import tls as btls
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform, normalize_platform
# A node's names are the node access's (one definition); re-exported for the builder's modules.
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import (  # noqa: F401 pylint: disable=unused-import
    CONFIG_FILE, CONFIG_PATH, CONTAINER_PREFIX, DRIVER, STATE_DIR, VOLUME_SUFFIX, container_name, volume_name)

try:
    import tomllib as _toml
except ImportError:  # Python < 3.11
    try:
        import tomli as _toml
    except ImportError:
        _toml = None

NETWORK_HOST_ENTITLEMENT = '--allow-insecure-entitlement=network.host'
_NAME_RE = re.compile(r'^[a-zA-Z][a-zA-Z0-9._-]*$')


def validate_name(name, option='name'):
    if not name or not _NAME_RE.match(name):
        raise SpecError("%s: invalid name '%s': it needs to start with a letter and may only contain letters, "
                        "digits and ._-" % (option, name))
    if name.lower() == 'default':
        raise SpecError("%s: '%s' is reserved for the docker context builder; choose another name" % (option, name))
    return name


def load_toml(text, option):
    if _toml is None:
        raise SpecError('%s: validating TOML needs Python 3.11+ or the tomli library on the target' % option)
    try:
        data = _toml.loads(text)
    except Exception as exc:  # tomllib.TOMLDecodeError
        raise SpecError('%s: invalid TOML: %s' % (option, exc))
    entitlements = data.get('insecure-entitlements', [])
    if not isinstance(entitlements, list) or not all(isinstance(e, str) for e in entitlements):
        raise SpecError('%s: insecure-entitlements must be a list of strings' % option)
    for host, registry in (data.get('registry') or {}).items():
        if isinstance(registry, dict) and (registry.get('ca') or registry.get('keypair')):
            raise SpecError("%s: registry '%s' names ca or keypair files; certificate files are not copied "
                            "into the builder yet, put them in the image or drop them" % (option, host))
    return data


def buildkitd_flags(flags, network, config):
    """Stored Flags, as buildx parseBuildkitdFlags computes them at create time."""
    result = list(flags or [])
    entitlements = []
    args = iter(result)
    for arg in args:
        if arg.startswith('--allow-insecure-entitlement='):
            entitlements.append(arg.split('=', 1)[1])
        elif arg == '--allow-insecure-entitlement':
            entitlements.append(next(args, ''))
        elif arg.startswith('-'):
            break  # pflag stops at the first unknown flag
    in_config = 'network.host' in ((config or {}).get('insecure-entitlements') or [])
    if network == 'host' and 'network.host' not in entitlements:
        result.append(NETWORK_HOST_ENTITLEMENT)
    elif not entitlements and not in_config:
        result.append(NETWORK_HOST_ENTITLEMENT)
    return result


def node_spec(name, endpoint, buildx_opts, typed, flags, platforms, config_text, config, serve=None):
    """One node as the store holds it (name, endpoint, platforms, driver_opts, flags, config) plus parsed views.

    With O(serve) the container's config adds the [grpc] section to the stored one (buildx itself would start
    such a config without the TLS files and loop), and `serve` holds the listener and the published port."""
    container_text, container_config, listener = config_text, config, None
    if serve:
        host_network = typed.get('network') == 'host'
        listener = {'port': serve['port'], 'address': serve.get('address') or '0.0.0.0',
                    'host_network': host_network}
        container_text = (config_text or '') + btls.grpc_section(
            serve['port'], listener['address'] if host_network else '0.0.0.0')
        container_config = load_toml(container_text, 'serve')
    return {
        'name': name,
        'endpoint': endpoint,
        'platforms': [normalize_platform(p) for p in platforms or []],
        'driver_opts': dict(buildx_opts or {}),
        'flags': flags,
        'config': config_text,
        'typed': typed,
        'config_data': container_config,
        'container_config': container_text,
        'serve': listener,
    }


class TLSMaterial(object):
    """The listener's files (key included) and the certificate facts; never shown (no repr of the contents)."""

    def __init__(self, checked):
        self.files, self.cert = checked['files'], checked['cert']
        self.digest = btls.digest(self.files)
        self.container_files = btls.container_files(self.files)

    def __repr__(self):
        return '<TLS files of serve, serial %s>' % (self.cert or {}).get('serial')


def with_gc(config_text, config, params):
    """(config text, parsed) with O(gc)'s policy appended; checks the user's config leaves [grpc]/GC to the module."""
    serve, gc = params.get('serve'), params.get('gc')
    if serve or gc:
        btls.check_user_config(config, serve, gc)
    if not gc:
        return config_text, config
    text = (config_text or '') + btls.gc_section(gc)
    return text, load_toml(text, 'gc')


def _check_unique(nodes):
    seen_names, seen_endpoints, seen_platforms = set(), {}, {}
    for node in nodes:
        if node['name'] in seen_names:
            raise SpecError("nodes: node name '%s' is given twice" % node['name'])
        seen_names.add(node['name'])
        if node['endpoint'] in seen_endpoints:
            raise SpecError("nodes: nodes '%s' and '%s' have the same endpoint '%s'; buildx allows one node per endpoint"
                            % (seen_endpoints[node['endpoint']], node['name'], node['endpoint']))
        seen_endpoints[node['endpoint']] = node['name']
        for plat in node['platforms']:
            text = format_platform(plat)
            if text in seen_platforms:
                raise SpecError("nodes: platform '%s' is declared by nodes '%s' and '%s'; give each platform to one node"
                                % (text, seen_platforms[text], node['name']))
            seen_platforms[text] = node['name']


def desired_spec(params, endpoint, stored_names=None, config_text=None):
    """Builder spec from the module options; node options override the builder's driver_opts and flags."""
    name = validate_name(params['name'])
    base_opts = dopts.to_buildx(params.get('driver_opts'))
    config = load_toml(config_text, 'buildkitd_config') if config_text is not None else None
    config_text, config = with_gc(config_text, config, params)
    serve = params.get('serve')
    tls = TLSMaterial(btls.check_serve(serve)) if serve else None
    nodes = []
    for entry in node_entries(params, stored_names):
        label = 'nodes[%s]' % entry['name']
        node_name = validate_name(entry['name'], label + '.name').lower()
        opts = dict(base_opts)
        opts.update(dopts.to_buildx(entry.get('driver_opts')))
        typed = dopts.parse(opts)
        flags_given = entry.get('buildkitd_flags')
        flags = buildkitd_flags(params.get('buildkitd_flags') if flags_given is None else flags_given,
                                typed['network'], config)
        nodes.append(node_spec(node_name, entry.get('endpoint') or endpoint, opts, typed, flags,
                               entry.get('platforms'), config_text, config, serve))
    _check_unique(nodes)
    return {'name': name, 'driver': DRIVER, 'nodes': nodes, 'tls': tls}


def container_spec(node, facts):
    """What the node's container must look like on a daemon with these facts."""
    typed = node['typed']
    container_text = node.get('container_config', node['config'])
    cmd = (['--config', CONFIG_PATH] if container_text is not None else []) + list(node['flags'] or [])
    swap = typed['memory_swap']
    if swap is None and typed['memory']:
        swap = 2 * typed['memory']  # dockerd's default when only memory is set
    return {
        'name': container_name(node['name']),
        'volume': volume_name(node['name']),
        'image': typed['image'],
        'env': dict(typed['env']),
        'cmd': cmd,
        'privileged': True,
        'init': True,
        'restart_policy': typed['restart_policy'],
        'network_mode': typed['network'],
        'memory': typed['memory'] or 0,
        'memory_swap': swap or 0,
        'cpu_quota': typed['cpu_quota'] or 0,
        'cpu_period': typed['cpu_period'] or 0,
        'cpu_shares': typed['cpu_shares'] or 0,
        'cpuset_cpus': typed['cpuset_cpus'] or '',
        'cpuset_mems': typed['cpuset_mems'] or '',
        'cgroup_parent': typed['cgroup_parent'] if facts.get('cgroup_driver') == 'cgroupfs' else '',
        'userns_mode': 'host' if facts.get('userns') else '',
        'config': node['config_data'],
        'config_text': container_text,
        'ports': published_ports(node.get('serve')),
    }


def published_ports(listener):
    """PortBindings of a serving node on a bridge/user network ({} without serve or with host networking)."""
    if not listener or listener['host_network']:
        return {}
    return {'%d/tcp' % listener['port']: [{'HostIp': listener['address'], 'HostPort': str(listener['port'])}]}

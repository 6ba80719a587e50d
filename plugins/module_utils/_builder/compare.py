# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare the desired builder with the real container and store entry (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import driver_opts as dopts
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.spec import STATE_DIR, load_toml
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform, normalize_platform
from ansible_collections.buildkit.fleet.plugins.module_utils._common.times import parse_time_ns

# Container fields compared one by one, in the order differences are reported.
CONTAINER_FIELDS = ('image', 'image_id', 'cmd', 'env', 'config', 'privileged', 'init', 'restart_policy',
                    'network_mode', 'network_id', 'memory', 'memory_swap', 'cpu_quota', 'cpu_period', 'cpu_shares',
                    'cpuset_cpus', 'cpuset_mems', 'cgroup_parent', 'userns_mode', 'volume', 'ports')
_DEFAULT_NETWORKS = (None, '', 'default', 'bridge')


def container_view(inspect, image_env, config_text, network_created=None):
    """The comparable view of an inspected container (env without what the image sets).

    A container older than its user network was attached before the network was re-created: its
    network id counts as stale, so the builder is re-created on the new network."""
    cfg, host = inspect.get('Config') or {}, inspect.get('HostConfig') or {}
    env = {}
    for item in cfg.get('Env') or []:
        key, _sep, value = item.partition('=')
        if image_env.get(key) != value:
            env[key] = value
    policy = host.get('RestartPolicy') or {}
    volume = None
    for mount in inspect.get('Mounts') or []:
        if mount.get('Destination') == STATE_DIR:
            volume = mount.get('Name')
    networks = (inspect.get('NetworkSettings') or {}).get('Networks') or {}
    network_id = (networks.get(host.get('NetworkMode')) or {}).get('NetworkID')
    if network_id and network_created and (parse_time_ns(network_created) or 0) > (parse_time_ns(inspect.get('Created')) or 0):
        network_id = 'attached before the network was re-created (%s)' % network_id[:12]
    config = None
    if config_text is not None:
        try:
            config = load_toml(config_text, 'container config')
        except SpecError:
            config = {'<invalid TOML>': config_text}
    return {
        'image': cfg.get('Image'),
        'image_id': inspect.get('Image'),
        'cmd': list(cfg.get('Cmd') or []),
        'env': env,
        'config': config,
        'privileged': bool(host.get('Privileged')),
        'init': bool(host.get('Init')),
        'restart_policy': {'Name': policy.get('Name') or 'no', 'MaximumRetryCount': policy.get('MaximumRetryCount') or 0},
        'network_mode': host.get('NetworkMode'),
        'network_id': network_id,
        'memory': host.get('Memory') or 0,
        'memory_swap': host.get('MemorySwap') or 0,
        'cpu_quota': host.get('CpuQuota') or 0,
        'cpu_period': host.get('CpuPeriod') or 0,
        'cpu_shares': host.get('CpuShares') or 0,
        'cpuset_cpus': host.get('CpusetCpus') or '',
        'cpuset_mems': host.get('CpusetMems') or '',
        'cgroup_parent': host.get('CgroupParent') or '',
        'userns_mode': host.get('UsernsMode') or '',
        'volume': volume,
        'ports': port_bindings(host.get('PortBindings')),
    }


def port_bindings(bindings):
    """PortBindings in one spelling: {'1234/tcp': [{'HostIp': '0.0.0.0', 'HostPort': '1234'}]}."""
    result = {}
    for port, binds in (bindings or {}).items():
        result[port] = [{'HostIp': b.get('HostIp') or '0.0.0.0', 'HostPort': str(b.get('HostPort') or '')}
                        for b in binds or []]
    return result


def container_differences(actual, desired, desired_image_id, desired_network_id=None):
    """[{'item', 'before', 'after'}] for every container field that differs."""
    wanted = dict(desired, image_id=desired_image_id, network_id=desired_network_id)
    diffs = []
    for field in CONTAINER_FIELDS:
        before, after = actual.get(field), wanted.get(field)
        if field in ('image_id', 'network_id') and not after:
            continue  # no local image / a built-in network mode: nothing to compare against
        if field == 'network_mode' and after in _DEFAULT_NETWORKS and before in _DEFAULT_NETWORKS:
            continue
        if field == 'ports':
            after = port_bindings(after)
        if field == 'env':
            # image-provided variables the user sets to the image's value are invisible: ignore them
            before = dict(before or {})
        if before != after:
            diffs.append({'item': 'container.' + field, 'before': before, 'after': after})
    return diffs


def _store_view(node):
    """Semantic view of a store node, so buildx-written and module-written entries compare equal."""
    try:
        typed = dopts.parse(node.get('driver_opts'))
    except SpecError as exc:
        typed = {'<unparsable>': str(exc)}
    config = None
    if node.get('config') is not None:
        try:
            config = load_toml(node['config'], 'stored buildkitd.toml')
        except SpecError:
            config = {'<invalid TOML>': node['config']}
    platforms = []
    for plat in node.get('platforms') or []:
        platforms.append(format_platform(plat if isinstance(plat, dict) else normalize_platform(plat)))
    return {'endpoint': node.get('endpoint'), 'platforms': platforms, 'driver_opts': typed,
            'flags': list(node.get('flags') or []), 'config': config}


def store_differences(stored_node, desired_node):
    if stored_node is None:
        return [{'item': 'store', 'before': None, 'after': 'instances entry'}]
    before = _store_view(stored_node)
    after = _store_view(dict(desired_node, platforms=desired_node['platforms']))
    return [{'item': 'store.' + key, 'before': before[key], 'after': after[key]}
            for key in ('endpoint', 'platforms', 'driver_opts', 'flags', 'config') if before[key] != after[key]]


def readable_node(node, container=None):
    """A node for diff output and results: buildx spellings, platforms as strings."""
    view = {
        'name': node['name'],
        'endpoint': node['endpoint'],
        'platforms': [format_platform(p) for p in node.get('platforms') or []],
        'driver_opts': dict(sorted((node.get('driver_opts') or {}).items())),
        'flags': list(node.get('flags') or []),
        'buildkitd_config': node.get('config'),
    }
    if container is not None:
        view['container'] = dict((k, v) for k, v in container.items() if k not in ('config',))
    return view

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker-container driver options: argument spec, buildx spelling, parsing (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._common import units

DEFAULT_IMAGE = 'moby/buildkit:buildx-stable-1'
DEFAULT_RESTART_POLICY = 'unless-stopped'
DEFAULT_CGROUP_PARENT = '/docker/buildx'
RESTART_POLICY_NAMES = ('no', 'always', 'unless-stopped', 'on-failure')
MIN_MEMORY = 6 * 1024 * 1024

# snake_case option -> buildx --driver-opt key; order is the documentation order.
BUILDX_KEYS = (
    ('image', 'image'),
    ('network', 'network'),
    ('restart_policy', 'restart-policy'),
    ('default_load', 'default-load'),
    ('memory', 'memory'),
    ('memory_swap', 'memory-swap'),
    ('cpu_quota', 'cpu-quota'),
    ('cpu_period', 'cpu-period'),
    ('cpu_shares', 'cpu-shares'),
    ('cpuset_cpus', 'cpuset-cpus'),
    ('cpuset_mems', 'cpuset-mems'),
    ('cgroup_parent', 'cgroup-parent'),
)
OPTION_BY_KEY = dict((key, option) for option, key in BUILDX_KEYS)

# The argument spec of driver_opts. The buildx spellings (memory-swap) cannot be aliases: ansible-test sanity
# (validate-modules parameter-invalid) refuses option names and aliases that are not Python identifiers.
DRIVER_OPTS_ARGS = dict(
    image=dict(type='str'),
    network=dict(type='str'),
    restart_policy=dict(type='str'),
    default_load=dict(type='bool'),
    memory=dict(type='str'),
    memory_swap=dict(type='str'),
    cpu_quota=dict(type='raw'),
    cpu_period=dict(type='raw'),
    cpu_shares=dict(type='raw'),
    cpuset_cpus=dict(type='str'),
    cpuset_mems=dict(type='str'),
    cgroup_parent=dict(type='str'),
    env=dict(type='dict'),
)


def _label(option):
    return 'driver_opts.%s' % option


def parse_size(value, option, allow_unlimited=False):
    """Bytes from a size like go-units RAMInBytes: 4g, 512MiB, 1.5g, 1024 (binary units)."""
    return units.parse_size(value, _label(option), allow_unlimited=allow_unlimited)


def parse_int(value, option):
    if isinstance(value, bool):
        raise SpecError("%s: invalid integer '%s'" % (_label(option), value))
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.match(r'^[+-]?\d+$', text):
        raise SpecError("%s: invalid integer '%s'" % (_label(option), value))
    return int(text)


def parse_bool(value, option):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('1', 't', 'true'):
        return True
    if text in ('0', 'f', 'false'):
        return False
    raise SpecError("%s: invalid boolean '%s'" % (_label(option), value))


def parse_restart_policy(value):
    """{'Name', 'MaximumRetryCount'} from name[:max-retries]; '' means the daemon default (no)."""
    text = '' if value is None else str(value).strip()
    name, sep, count = text.partition(':')
    if not text:
        return {'Name': 'no', 'MaximumRetryCount': 0}
    if name not in RESTART_POLICY_NAMES:
        raise SpecError("%s: invalid restart policy '%s': use one of %s, optionally on-failure:N"
                        % (_label('restart_policy'), value, ', '.join(RESTART_POLICY_NAMES)))
    retries = 0
    if sep:
        if not re.match(r'^\d+$', count):
            raise SpecError("%s: invalid restart policy '%s': the maximum retry count must be an integer"
                            % (_label('restart_policy'), value))
        retries = int(count)
        if name != 'on-failure':
            raise SpecError("%s: invalid restart policy '%s': a maximum retry count only works with on-failure"
                            % (_label('restart_policy'), value))
    return {'Name': name, 'MaximumRetryCount': retries}


def _format_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def to_buildx(driver_opts):
    """Module driver_opts -> buildx DriverOpts map (string values, only what was set)."""
    unknown = sorted(set(driver_opts or {}) - set(DRIVER_OPTS_ARGS))
    if unknown and unknown[0] in OPTION_BY_KEY:
        raise SpecError("driver_opts: '%s' is the buildx spelling; the option is %s"
                        % (unknown[0], OPTION_BY_KEY[unknown[0]]))
    if unknown:
        raise SpecError("driver_opts: unknown option '%s'; known: %s" % (unknown[0], ', '.join(sorted(DRIVER_OPTS_ARGS))))
    opts = {}
    for option, key in BUILDX_KEYS:
        value = (driver_opts or {}).get(option)
        if value is not None:
            opts[key] = _format_value(value)
    for env_name, env_value in ((driver_opts or {}).get('env') or {}).items():
        env_name = str(env_name)
        if not env_name.strip() or '=' in env_name:
            raise SpecError("%s: invalid variable name '%s': it must be non-empty and must not contain '='"
                            % (_label('env'), env_name))
        opts['env.' + env_name] = '' if env_value is None else _format_value(env_value)
    return opts


def parse(buildx_opts):
    """Typed driver options from a buildx DriverOpts map; raises SpecError naming the option."""
    opts = buildx_opts or {}
    typed = {
        'image': opts.get('image') or DEFAULT_IMAGE,
        'network': opts.get('network') or None,
        'restart_policy': parse_restart_policy(opts.get('restart-policy', DEFAULT_RESTART_POLICY)),
        'default_load': parse_bool(opts['default-load'], 'default_load') if 'default-load' in opts else False,
        'memory': None, 'memory_swap': None, 'cpu_quota': None, 'cpu_period': None, 'cpu_shares': None,
        'cpuset_cpus': opts.get('cpuset-cpus') or None,
        'cpuset_mems': opts.get('cpuset-mems') or None,
        'cgroup_parent': opts.get('cgroup-parent') or DEFAULT_CGROUP_PARENT,
        'env': {},
    }
    if opts.get('memory'):
        typed['memory'] = parse_size(opts['memory'], 'memory')
    if opts.get('memory-swap'):
        if not opts.get('memory'):
            raise SpecError("%s: '%s' is set without driver_opts.memory; docker needs a memory limit to set swap"
                            % (_label('memory_swap'), opts['memory-swap']))
        typed['memory_swap'] = parse_size(opts['memory-swap'], 'memory_swap', allow_unlimited=True)
    for option in ('cpu_quota', 'cpu_period', 'cpu_shares'):
        key = option.replace('_', '-')
        if opts.get(key) not in (None, ''):
            typed[option] = parse_int(opts[key], option)
    for key, value in opts.items():
        if key.startswith('env.'):
            if not key[4:]:
                raise SpecError("%s: invalid variable name '': it must be non-empty" % _label('env'))
            typed['env'][key[4:]] = value
        elif key not in OPTION_BY_KEY:
            raise SpecError("driver_opts: unknown docker-container driver option '%s'" % key)
    _check_limits(typed)
    return typed


def _check_limits(typed):
    memory, swap = typed['memory'], typed['memory_swap']
    if memory is not None and memory < MIN_MEMORY:
        raise SpecError("%s: '%s' bytes is below the Docker minimum of 6MiB" % (_label('memory'), memory))
    if swap is not None and swap != -1 and swap < memory:
        raise SpecError('%s: %s bytes is smaller than driver_opts.memory (%s bytes); it is memory plus swap'
                        % (_label('memory_swap'), swap, memory))
    for option in ('cpu_quota', 'cpu_period', 'cpu_shares'):
        if typed[option] is not None and typed[option] < 0 and not (option == 'cpu_quota' and typed[option] == -1):
            raise SpecError("%s: invalid value '%s': it must not be negative" % (_label(option), typed[option]))
    if typed['cpu_period'] is not None and typed['cpu_period'] and not 1000 <= typed['cpu_period'] <= 1000000:
        raise SpecError("%s: invalid value '%s': it must be between 1000 and 1000000 microseconds"
                        % (_label('cpu_period'), typed['cpu_period']))
    for option in ('cpuset_cpus', 'cpuset_mems'):
        if typed[option] and not re.match(r'^\d+(-\d+)?(,\d+(-\d+)?)*$', typed[option]):
            raise SpecError("%s: invalid CPU set '%s': use a list like 0-3 or 0,2" % (_label(option), typed[option]))

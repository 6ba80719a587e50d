# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options the daemon would reject: checked against its facts first, its errors mapped back to the option."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# daemon error text -> the driver option it is about
_DAEMON_ERRORS = (
    ('requested cpus are not available', 'cpuset_cpus'),
    ('requested memory nodes are not available', 'cpuset_mems'),
    ('invalid value', 'cpuset_cpus'),
    ('minimum memoryswap limit', 'memory_swap'),
    ('memory-swap', 'memory_swap'),
    ('minimum memory limit', 'memory'),
    ('memory limit', 'memory'),
    ('cfs period', 'cpu_period'),
    ('cfs quota', 'cpu_quota'),
    ('cpu shares', 'cpu_shares'),
    ('restart policy', 'restart_policy'),
    ('maximum retry count', 'restart_policy'),
    ('cgroup-parent', 'cgroup_parent'),
    ('cgroup parent', 'cgroup_parent'),
    ('network', 'network'),
)
# words a daemon error about a cpuset must contain to be mapped by the generic 'invalid value' entry
_CPUSET_WORDS = ('cpuset', 'cpus')


def _cpu_indexes(cpuset):
    found = set()
    for part in (cpuset or '').split(','):
        if not part.strip():
            continue
        low, _sep, high = part.partition('-')
        found.update(range(int(low), int(high or low) + 1))
    return found


def check_cpus(spec, infos):
    """A message naming driver_opts.cpuset_cpus when a node asks for CPUs its daemon does not have, else None.

    `infos` maps node names to the daemon's `docker info`."""
    for node in spec['nodes']:
        wanted = node['typed'].get('cpuset_cpus')
        count = (infos.get(node['name']) or {}).get('NCPU')
        if not wanted or not count:
            continue
        beyond = sorted(i for i in _cpu_indexes(wanted) if i >= count)
        if beyond:
            return ("driver_opts.cpuset_cpus: '%s' asks for CPU %s, but the daemon of node %s has %d CPU(s) "
                    "(0-%d)" % (wanted, beyond[0], node['name'], count, count - 1))
    return None


_PORT_ERRORS = ('port is already allocated', 'address already in use', 'bind for', 'cannot assign requested address')


def explain(message, spec):
    """The daemon's message prefixed with the option (and value) it rejected, when that can be told."""
    lowered = (message or '').lower()
    serving = [n['serve'] for n in (spec or {}).get('nodes', []) if n.get('serve')]
    if serving and any(words in lowered for words in _PORT_ERRORS):
        return ("serve.port: %d on %s could not be published on the host (in use by something else?): %s"
                % (serving[0]['port'], serving[0]['address'], message))
    for words, option in _DAEMON_ERRORS:
        if words not in lowered:
            continue
        if words == 'invalid value' and not any(w in lowered for w in _CPUSET_WORDS):
            continue
        values = [str((n.get('driver_opts') or {}).get(option.replace('_', '-')) or n['typed'].get(option))
                  for n in (spec or {}).get('nodes', []) if n['typed'].get(option)]
        if not values:
            continue
        return "driver_opts.%s: '%s' was rejected by the daemon: %s" % (option, values[0], message)
    return message

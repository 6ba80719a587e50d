# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Does a Docker network already match an item of the buildkit.fleet.network role? (pure)

Mirrors what community.docker.docker_network compares when the role calls it (appends: true): an empty
answer means that module would report no change, so the role can be skipped. Where the module would fail
(bad input) a difference is reported too, so the role still runs and says why.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.common.validation import check_type_int
from ansible.module_utils.parsing.convert_bool import boolean

MTU_OPTION = 'com.docker.network.driver.mtu'
# Docker's IPAM pool keys -> the role's item keys
POOL_KEYS = (('Subnet', 'subnet'), ('Gateway', 'gateway'), ('IPRange', 'ip_range'))


# The one definition of a network item: the `networks` option of buildkit_builders and the items of
# `buildkit_networks` in the buildkit.fleet.network and buildkit.fleet.builder roles. Role argument specs cannot
# include a file, so the roles declare the list and validate the items with this spec on the controller (the
# buildkit.fleet.network_items filter) before any change.
NETWORK_ITEM_OPTIONS = dict(
    name=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    driver=dict(type='str', default='bridge'),
    subnet=dict(type='str'),
    gateway=dict(type='str'),
    ip_range=dict(type='str'),
    internal=dict(type='bool'),
    mtu=dict(type='int'),
    driver_options=dict(type='dict'),
    labels=dict(type='dict'),
)
ITEM_KEYS = tuple(NETWORK_ITEM_OPTIONS)


def network_differences(wanted, actual):
    """wanted: one network item of the buildkit.fleet.network role (keys: name, state (present|absent, default present),
    driver (default bridge), subnet, gateway, ip_range, internal, mtu, driver_options (dict), labels (dict); all but name optional).
    actual: the Docker API network inspect dict (as docker.APIClient().inspect_network returns) or None when it does not exist.
    Returns a list of short strings naming what differs, e.g. ["missing"], ["driver: bridge wanted, macvlan found"],
    ["subnet: 10.1.0.0/24 wanted, 10.2.0.0/24 found"], ["exists (state absent)"].
    [] means: community.docker.docker_network, called exactly as roles/network/tasks/main.yml calls it with this item,
    would report no change."""
    problems = ['%s: not a key of a network item' % key for key in sorted(set(wanted) - set(ITEM_KEYS), key=str)]
    if not wanted.get('name'):
        problems.append('name: missing')
    if wanted.get('mtu') is not None:
        try:
            check_type_int(wanted['mtu'])
        except TypeError:
            problems.append('mtu: %r is not an integer' % (wanted['mtu'],))
    pool, options, labels = _pool(wanted, problems), _options(wanted, problems), _labels(wanted, problems)
    internal = wanted.get('internal')
    if internal is not None:
        try:
            internal = boolean(internal, strict=True)
        except (TypeError, ValueError):
            problems.append('internal: %r is not a boolean' % (internal,))
    state = wanted.get('state', 'present')
    if state not in ('present', 'absent'):
        problems.append('state: %r is not present or absent' % (state,))
    if problems:  # the role's argument spec, its templating or the module would fail
        return problems
    if state == 'absent':
        return ['exists (state absent)'] if actual is not None else []
    if actual is None:
        return ['missing']
    diffs = []
    if actual.get('Name', wanted.get('name')) != wanted.get('name'):  # looked up by id prefix
        diffs.append('name: %s wanted, %s found' % (wanted.get('name'), actual.get('Name')))
    driver = wanted.get('driver') or 'bridge'
    if driver != actual.get('Driver'):
        diffs.append('driver: %s wanted, %s found' % (driver, actual.get('Driver')))
    if pool:
        diffs += _pool_differences(pool, (actual.get('IPAM') or {}).get('Config') or [])
    if internal is not None and internal != actual.get('Internal', False):
        diffs.append('internal: %s wanted, %s found' % (_flag(internal), _flag(actual.get('Internal'))))
    diffs += _map_differences('driver_options', options, actual.get('Options') or {})
    diffs += _map_differences('labels', labels, actual.get('Labels') or {})
    if wanted.get('mtu'):  # name the role's own key
        diffs = [d.replace('driver_options.' + MTU_OPTION, 'mtu', 1) for d in diffs]
    return diffs


def _flag(value):
    return {True: 'true', False: 'false'}.get(value, 'none' if value is None else str(value))


def _pool(wanted, problems):
    """The wanted IPAM pool (item key -> text; None: not compared), {} without a subnet."""
    if not wanted.get('subnet'):
        return {}  # the role passes no ipam_config then: gateway and ip_range alone are ignored
    pool = {}
    for _key, name in POOL_KEYS:
        value = wanted.get(name)
        pool[name] = None if value is None else to_text(value)
    if not _is_cidr(pool['subnet']):
        problems.append('subnet: %r is not a CIDR' % (pool['subnet'],))
        return {}
    return pool


def _is_cidr(text):
    """A CIDR the module accepts (this check is at least as strict as its own)."""
    address, slash, prefix = text.partition('/')
    if not slash or not prefix.isdigit() or str(int(prefix)) != prefix:
        return False
    groups = address.split('.')
    if len(groups) == 4 and all(g.isdigit() and len(g) <= 3 for g in groups):
        limit = 32
    elif address and all(c in '0123456789abcdefABCDEF:' for c in address):
        limit = 128
    else:
        return False
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return int(prefix) <= limit


def _network(value):
    """A subnet or range as the module compares it: compressed when valid and canonical, else as written."""
    try:
        return ipaddress.ip_network(to_text(value)).compressed
    except ValueError:
        return value


def _address(value):
    try:
        return ipaddress.ip_address(to_text(value)).compressed
    except ValueError:
        return value


def _normal_pool(pool):
    """item key -> normalized value of a wanted pool or of a Docker IPAM config entry (item keys)."""
    return {
        'subnet': None if pool.get('subnet') is None else _network(pool['subnet']),
        'gateway': None if pool.get('gateway') is None else _address(pool['gateway']),
        'ip_range': None if pool.get('ip_range') is None else _network(pool['ip_range']),
    }


def _pool_differences(pool, configs):
    """[] when one of the network's IPAM configs has every key the pool sets, else what differs."""
    found = [dict((name, config.get(key)) for key, name in POOL_KEYS) for config in configs]
    mine = _normal_pool(pool)
    for config in found:
        theirs = _normal_pool(config)
        if all(theirs[name] == value for name, value in mine.items() if value is not None):
            return []
    same = [c for c in found if _normal_pool(c)['subnet'] == mine['subnet']]
    if not same:
        return ['subnet: %s wanted, %s found' % (pool['subnet'], ', '.join(str(c['subnet']) for c in found) or 'none')]
    theirs = _normal_pool(same[0])
    return ['%s: %s wanted, %s found' % (name, pool[name], same[0][name] or 'none')
            for _key, name in POOL_KEYS if mine[name] is not None and mine[name] != theirs[name]]


def _text_value(value):
    """A driver option value as the module sends it to Docker."""
    if value is True or value is False:
        return 'true' if value else 'false'
    return str(value)


def _options(wanted, problems):
    """The driver options the role passes (text values, mtu included)."""
    given = wanted.get('driver_options', {})
    if not isinstance(given, dict):  # the role's combine filter fails
        problems.append('driver_options: %r is not a dict' % (given,))
        return {}
    options = dict(given)
    if wanted.get('mtu'):
        options[MTU_OPTION] = str(wanted['mtu'])
    return dict((str(k), _text_value(v)) for k, v in options.items())


def _labels(wanted, problems):
    """The labels the role passes (text values); keys and values the module refuses are problems."""
    given = wanted.get('labels', {})
    if given is None:
        return {}
    if not isinstance(given, dict):
        problems.append('labels: %r is not a dict' % (given,))
        return {}
    labels = {}
    for key, value in given.items():
        if not isinstance(key, str):
            problems.append('labels: key %r is not a string' % (key,))
        elif isinstance(value, (bool, float)):
            problems.append('labels.%s: %r is not a string' % (key, value))
        else:
            labels[key] = to_text(value)
    return labels


def _map_differences(field, wanted, found):
    """Each wanted key must be on the network with the same text; extra keys there are fine."""
    return ['%s.%s: %s wanted, %s found' % (field, key, value, found.get(key, 'none'))
            for key, value in sorted(wanted.items()) if found.get(key) != value]

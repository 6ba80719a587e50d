"""network_differences against community.docker.docker_network as the buildkit.fleet.network role calls it.

The real role runs in check mode over a matrix of (network made with the Docker SDK, role item) pairs: an empty
answer must mean the module reports no change, and a change must come with a non-empty answer. Networks the role
itself creates must compare equal (the builder role's fast no-op path)."""
import os
import sys
import uuid

import docker
import pytest
from docker.types import IPAMConfig, IPAMPool

from binfmt_support import failed_results, playbook
from support import TEST_IMAGE

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.network_check import network_differences

MTU = 'com.docker.network.driver.mtu'
ICC = 'com.docker.network.bridge.enable_icc'
MASQ = 'com.docker.network.bridge.enable_ip_masquerade'


def pool(subnet, gateway=None, iprange=None):
    return IPAMPool(subnet=subnet, gateway=gateway, iprange=iprange)


# network key -> Docker SDK create arguments (None: no network of that name)
NETWORKS = {
    'plain': {},
    'pooled': {'ipam': IPAMConfig(pool_configs=[pool('10.247.1.0/24', '10.247.1.1', '10.247.1.128/25')])},
    'dual': {'enable_ipv6': True, 'ipam': IPAMConfig(pool_configs=[
        pool('10.247.2.0/24'), pool('fd00:247:0:2::/64', 'fd00:247:0:2:0::1')])},
    'internal': {'internal': True},
    'mtu': {'options': {MTU: '1400'}},
    'options': {'options': {ICC: 'false', MTU: '1450', MASQ: 'true'}},
    'labelled': {'labels': {'a': '1', 'b': 'x'}},
    'busy': {'ipam': IPAMConfig(pool_configs=[pool('10.247.3.0/24')]), 'labels': {'a': '1'}},
    'missing': None,
}

# (network key, role item without the name, docker_network changes it)
CASES = [
    ('plain', {}, False),
    ('plain', {'driver': 'bridge', 'driver_options': {}, 'labels': {}, 'state': 'present'}, False),
    ('plain', {'driver': 'macvlan'}, True),
    ('plain', {'subnet': '10.247.9.0/24'}, True),
    ('plain', {'internal': 'yes'}, True),
    ('plain', {'internal': False}, False),
    ('plain', {'mtu': 1400}, True),
    ('plain', {'labels': {'a': '1'}}, True),
    ('plain', {'gateway': '10.247.9.1', 'ip_range': '10.247.9.0/25'}, False),  # ignored without a subnet
    ('pooled', {'subnet': '10.247.1.0/24', 'gateway': '10.247.1.1', 'ip_range': '10.247.1.128/25'}, False),
    ('pooled', {'subnet': '10.247.1.0/24'}, False),
    ('pooled', {'subnet': '10.247.1.0/24', 'gateway': '10.247.1.1'}, False),
    ('pooled', {'subnet': '10.247.4.0/24'}, True),
    ('pooled', {'subnet': '10.247.1.0/24', 'gateway': '10.247.1.254'}, True),
    ('pooled', {'subnet': '10.247.1.0/24', 'ip_range': '10.247.1.0/25'}, True),
    ('pooled', {'subnet': '10.247.1.0/24', 'gateway': '10.247.1.1', 'ip_range': '10.247.1.0/25'}, True),
    ('dual', {'subnet': '10.247.2.0/24'}, False),
    ('dual', {'subnet': 'fd00:247:0:2::/64', 'gateway': 'fd00:247:0:2::1'}, False),
    ('dual', {'subnet': 'FD00:247:0:2:0::/64'}, False),
    ('dual', {'subnet': '10.247.2.0/24', 'gateway': '10.247.2.1'}, True),
    ('dual', {'subnet': 'fd00:247:0:3::/64'}, True),
    ('internal', {'internal': True}, False),
    ('internal', {'internal': 'true'}, False),
    ('internal', {}, False),
    ('internal', {'internal': False}, True),
    ('mtu', {'mtu': 1400}, False),
    ('mtu', {'mtu': '1400'}, False),
    ('mtu', {'driver_options': {MTU: 1400}}, False),
    ('mtu', {'mtu': 1500}, True),
    ('mtu', {'mtu': 1400, 'driver_options': {MTU: 9000}}, False),  # mtu wins
    ('mtu', {'driver_options': {MTU: 1500}}, True),
    ('options', {'driver_options': {ICC: False}}, False),
    ('options', {'driver_options': {ICC: 'false'}, 'mtu': 1450}, False),
    ('options', {'driver_options': {ICC: True}}, True),
    ('options', {'driver_options': {MASQ: False}}, True),
    ('labelled', {'labels': {'a': 1}}, False),
    ('labelled', {'labels': {'a': '1', 'b': 'x'}}, False),
    ('labelled', {'labels': {'a': '2'}}, True),
    ('labelled', {'labels': {'c': 'z'}}, True),
    ('busy', {'subnet': '10.247.3.0/24', 'labels': {'a': '1'}}, False),  # a running container stays attached
    ('busy', {'subnet': '10.247.3.0/24', 'labels': {'a': '2'}}, True),
    ('busy', {'state': 'absent'}, True),
    ('plain', {'state': 'absent'}, True),
    ('missing', {'state': 'absent'}, False),
    ('missing', {}, True),
    ('missing', {'subnet': '10.247.5.0/24', 'internal': True}, True),
]

# items the role itself creates; afterwards they must compare equal
CREATED = [
    {},
    {'subnet': '10.247.6.0/24', 'gateway': '10.247.6.1', 'ip_range': '10.247.6.128/25', 'internal': True, 'mtu': 1400,
     'driver_options': {ICC: False}, 'labels': {'team': 'ci', 'n': 3}},
    {'subnet': '10.247.7.0/24', 'internal': False, 'mtu': '1450', 'labels': {}},
    {'gateway': '10.247.8.1', 'driver_options': {MASQ: True}},
]


@pytest.fixture
def prefix(docker_client):
    """A unique netcheck-prefixed name; every network and container with it is removed afterwards."""
    name = 'netcheck%s' % uuid.uuid4().hex[:6]
    yield name
    for cont in docker_client.containers.list(all=True, filters={'name': name}):
        cont.remove(force=True)
    for net in docker_client.networks.list(names=[name]):
        if net.name.startswith(name):
            net.remove()


def role(items):
    return {'name': 'network role', 'ansible.builtin.include_role': {'name': 'buildkit.fleet.network'},
            'vars': {'buildkit_networks': items}}


def module_results(results):
    """The loop results of the role's docker_network tasks (one role run or several), in item order."""
    return [one for name, res in results if name.endswith('Manage the builder networks') for one in res['results']]


def test_network_differences_agrees_with_docker_network(tmp_path, prefix, docker_client, monkeypatch):
    # ansible-playbook next to this Python, also when the venv is not on PATH
    monkeypatch.setenv('PATH', os.pathsep.join([os.path.dirname(sys.executable), os.environ.get('PATH', '')]))
    api = docker_client.api
    for key, args in NETWORKS.items():
        if args is not None:
            api.create_network(prefix + key, **args)
    docker_client.containers.run(TEST_IMAGE, name=prefix + 'c', entrypoint=['sleep', '120'], detach=True,
                                 network=prefix + 'busy')
    assert api.inspect_network(prefix + 'busy')['Containers']
    created = [dict(item, name='%sr%d' % (prefix, i)) for i, item in enumerate(CREATED)]
    rc, results, _t, out = playbook(tmp_path, [role(created)])
    assert rc == 0 and not failed_results(results), out
    assert [res['changed'] for res in module_results(results)] == [True] * len(created)

    items = [dict(item, name=prefix + key) for key, item, _changed in CASES] + created
    # one role run per item: a role run takes each network name once, and the cases compare one network many times
    rc, results, _t, out = playbook(tmp_path, [role([item]) for item in items], check=True)
    assert rc == 0 and not failed_results(results), out
    expected = [changed for _key, _item, changed in CASES] + [False] * len(created)
    seen = []
    for item, res, want in zip(items, module_results(results), expected):
        assert res['item'] == item
        try:
            actual = api.inspect_network(item['name'])
        except docker.errors.NotFound:
            actual = None
        diffs = network_differences(item, actual)
        seen.append((item, res['changed'], diffs))
        assert res['changed'] == want, (item, res)
        if not diffs:
            assert not res['changed'], (item, res.get('diff'))  # sound: [] means no change
        if res['changed']:
            assert diffs, (item, res.get('diff'))
    assert len(seen) == len(items)
    # a role-made network is never reported (no false alarm on the fast path)
    assert [diffs for item, _c, diffs in seen[len(CASES):]] == [[]] * len(created)

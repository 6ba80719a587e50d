import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.network_check import network_differences


def inspect(name='n', driver='bridge', configs=None, internal=False, options=None, labels=None):
    """A network as docker.APIClient().inspect_network returns it (the fields that matter)."""
    return {'Name': name, 'Id': 'f' * 64, 'Driver': driver, 'Scope': 'local', 'EnableIPv6': False, 'Internal': internal,
            'IPAM': {'Driver': 'default', 'Options': None,
                     'Config': [{'Subnet': '172.18.0.0/16', 'Gateway': '172.18.0.1'}] if configs is None else configs},
            'Options': {} if options is None else options, 'Labels': {} if labels is None else labels,
            'Containers': {}}


POOL = [{'Subnet': '10.1.0.0/24', 'Gateway': '10.1.0.1', 'IPRange': '10.1.0.128/25'}]


def test_missing_and_absent():
    assert network_differences({'name': 'n'}, None) == ['missing']
    assert network_differences({'name': 'n', 'state': 'present', 'subnet': '10.1.0.0/24'}, None) == ['missing']
    assert network_differences({'name': 'n', 'state': 'absent'}, inspect()) == ['exists (state absent)']
    assert network_differences({'name': 'n', 'state': 'absent'}, None) == []
    # absent ignores the rest of the item, as the module does
    assert network_differences({'name': 'n', 'state': 'absent', 'driver': 'macvlan', 'subnet': '10.9.0.0/24'}, None) == []


def test_defaults_match_a_plain_bridge():
    assert network_differences({'name': 'n'}, inspect()) == []
    assert network_differences({'name': 'n', 'driver': 'bridge', 'driver_options': {}, 'labels': {}}, inspect()) == []


def test_name_of_a_network_found_by_id_prefix():
    assert network_differences({'name': 'abc'}, inspect(name='other')) == ['name: abc wanted, other found']


def test_driver():
    assert network_differences({'name': 'n', 'driver': 'bridge'}, inspect(driver='macvlan')) == \
        ['driver: bridge wanted, macvlan found']
    assert network_differences({'name': 'n'}, inspect(driver='macvlan')) == ['driver: bridge wanted, macvlan found']
    assert network_differences({'name': 'n', 'driver': 'macvlan'}, inspect(driver='macvlan')) == []
    # no driver at all: stricter than the module (it would not compare), bridge is what it creates
    assert network_differences({'name': 'n', 'driver': None}, inspect(driver='macvlan')) == \
        ['driver: bridge wanted, macvlan found']


def test_subnet():
    net = inspect(configs=POOL)
    assert network_differences({'name': 'n', 'subnet': '10.1.0.0/24'}, net) == []
    assert network_differences({'name': 'n', 'subnet': '10.2.0.0/24'}, net) == ['subnet: 10.2.0.0/24 wanted, 10.1.0.0/24 found']
    assert network_differences({'name': 'n', 'subnet': '10.2.0.0/24'}, inspect(configs=[])) == \
        ['subnet: 10.2.0.0/24 wanted, none found']
    net['IPAM'] = None
    assert network_differences({'name': 'n', 'subnet': '10.2.0.0/24'}, net) == ['subnet: 10.2.0.0/24 wanted, none found']


def test_gateway_and_ip_range():
    net = inspect(configs=POOL)
    item = {'name': 'n', 'subnet': '10.1.0.0/24', 'gateway': '10.1.0.1', 'ip_range': '10.1.0.128/25'}
    assert network_differences(item, net) == []
    assert network_differences(dict(item, gateway='10.1.0.254'), net) == ['gateway: 10.1.0.254 wanted, 10.1.0.1 found']
    assert network_differences(dict(item, ip_range='10.1.0.0/25'), net) == ['ip_range: 10.1.0.0/25 wanted, 10.1.0.128/25 found']
    assert network_differences(dict(item, gateway='10.1.0.2', ip_range='10.1.0.0/25'), net) == \
        ['gateway: 10.1.0.2 wanted, 10.1.0.1 found', 'ip_range: 10.1.0.0/25 wanted, 10.1.0.128/25 found']
    # unset gateway/ip_range are not compared; the role passes neither without a subnet
    assert network_differences({'name': 'n', 'subnet': '10.1.0.0/24', 'gateway': None}, net) == []
    assert network_differences({'name': 'n', 'gateway': '10.9.9.9', 'ip_range': '10.9.9.0/25'}, net) == []
    no_range = inspect(configs=[{'Subnet': '10.1.0.0/24', 'Gateway': '10.1.0.1'}])
    assert network_differences(dict(item), no_range) == ['ip_range: 10.1.0.128/25 wanted, none found']
    # an empty gateway is a value for the module (never equal)
    assert network_differences({'name': 'n', 'subnet': '10.1.0.0/24', 'gateway': ''}, net) == ['gateway:  wanted, 10.1.0.1 found']


def test_addresses_compared_normalized():
    net = inspect(configs=[{'Subnet': 'fd00:0:0:5::/64', 'Gateway': 'fd00:0:0:5:0::1'}])
    assert network_differences({'name': 'n', 'subnet': 'FD00:0:0:5:0::/64', 'gateway': 'fd00:0:0:5::1'}, net) == []
    # a subnet with host bits is compared as written (never equal to what Docker keeps)
    assert network_differences({'name': 'n', 'subnet': '10.1.0.5/24'}, inspect(configs=POOL)) == \
        ['subnet: 10.1.0.5/24 wanted, 10.1.0.0/24 found']


def test_several_ipam_configs():
    net = inspect(configs=[{'Subnet': '10.7.0.0/24'}, {'Subnet': 'fd00:7::/64', 'Gateway': 'fd00:7::1'}] + POOL)
    assert network_differences({'name': 'n', 'subnet': '10.1.0.0/24', 'gateway': '10.1.0.1'}, net) == []
    assert network_differences({'name': 'n', 'subnet': '10.7.0.0/24'}, net) == []
    assert network_differences({'name': 'n', 'subnet': 'fd00:7::/64', 'gateway': 'fd00:7::1'}, net) == []
    assert network_differences({'name': 'n', 'subnet': '10.7.0.0/24', 'gateway': '10.7.0.1'}, net) == \
        ['gateway: 10.7.0.1 wanted, none found']
    assert network_differences({'name': 'n', 'subnet': '10.8.0.0/24'}, net) == \
        ['subnet: 10.8.0.0/24 wanted, 10.7.0.0/24, fd00:7::/64, 10.1.0.0/24 found']


def test_internal():
    assert network_differences({'name': 'n', 'internal': True}, inspect()) == ['internal: true wanted, false found']
    assert network_differences({'name': 'n', 'internal': 'yes'}, inspect()) == ['internal: true wanted, false found']
    assert network_differences({'name': 'n', 'internal': False}, inspect(internal=True)) == ['internal: false wanted, true found']
    assert network_differences({'name': 'n', 'internal': True}, inspect(internal=True)) == []
    assert network_differences({'name': 'n', 'internal': 'false'}, inspect()) == []
    # not set: the role omits it and the module does not compare
    assert network_differences({'name': 'n'}, inspect(internal=True)) == []
    assert network_differences({'name': 'n', 'internal': None}, inspect(internal=True)) == []


@pytest.mark.parametrize('mtu', [1400, '1400'])
def test_mtu(mtu):
    assert network_differences({'name': 'n', 'mtu': mtu}, inspect(options={'com.docker.network.driver.mtu': '1400'})) == []
    assert network_differences({'name': 'n', 'mtu': mtu}, inspect()) == ['mtu: 1400 wanted, none found']
    assert network_differences({'name': 'n', 'mtu': mtu}, inspect(options={'com.docker.network.driver.mtu': '1500'})) == \
        ['mtu: 1400 wanted, 1500 found']


def test_mtu_unset_or_zero_is_not_compared_and_wins_over_driver_options():
    net = inspect(options={'com.docker.network.driver.mtu': '1500'})
    assert network_differences({'name': 'n', 'mtu': None}, net) == []
    assert network_differences({'name': 'n', 'mtu': 0}, net) == []
    item = {'name': 'n', 'mtu': 1500, 'driver_options': {'com.docker.network.driver.mtu': 9000}}
    assert network_differences(item, net) == []


def test_driver_options():
    net = inspect(options={'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.driver.mtu': '1400'})
    assert network_differences({'name': 'n', 'driver_options': {'com.docker.network.bridge.enable_icc': False}}, net) == []
    assert network_differences({'name': 'n', 'driver_options': {'com.docker.network.bridge.enable_icc': 'false'}}, net) == []
    assert network_differences({'name': 'n', 'driver_options': {'com.docker.network.driver.mtu': 1400}}, net) == []
    assert network_differences({'name': 'n', 'driver_options': {'com.docker.network.bridge.enable_icc': True}}, net) == \
        ['driver_options.com.docker.network.bridge.enable_icc: true wanted, false found']
    assert network_differences({'name': 'n', 'driver_options': {'com.docker.network.driver.mtu': 1500}}, net) == \
        ['driver_options.com.docker.network.driver.mtu: 1500 wanted, 1400 found']
    assert network_differences({'name': 'n', 'driver_options': {'x': 'y'}}, inspect()) == ['driver_options.x: y wanted, none found']


def test_labels():
    net = inspect(labels={'team': 'ci', 'tier': '2'})
    assert network_differences({'name': 'n', 'labels': {'team': 'ci'}}, net) == []
    assert network_differences({'name': 'n', 'labels': {'tier': 2}}, net) == []
    assert network_differences({'name': 'n', 'labels': None}, net) == []
    assert network_differences({'name': 'n', 'labels': {'tier': None}}, net) == ['labels.tier: None wanted, 2 found']
    assert network_differences({'name': 'n', 'labels': {'team': 'cd'}}, net) == ['labels.team: cd wanted, ci found']
    assert network_differences({'name': 'n', 'labels': {'owner': 'me'}}, inspect()) == ['labels.owner: me wanted, none found']
    net['Labels'] = None
    assert network_differences({'name': 'n', 'labels': {'team': 'ci'}}, net) == ['labels.team: ci wanted, none found']


def test_extra_labels_and_options_on_the_network_are_fine():
    net = inspect(configs=POOL, options={'a': '1', 'com.docker.network.driver.mtu': '1400'}, labels={'x': '1', 'y': '2'},
                  internal=True)
    assert network_differences({'name': 'n', 'subnet': '10.1.0.0/24', 'labels': {'x': 1}}, net) == []


def test_several_differences_in_order():
    item = {'name': 'n', 'driver': 'ipvlan', 'subnet': '10.2.0.0/24', 'internal': True, 'mtu': 1400, 'labels': {'a': 'b'}}
    assert network_differences(item, inspect(configs=POOL)) == [
        'driver: ipvlan wanted, bridge found', 'subnet: 10.2.0.0/24 wanted, 10.1.0.0/24 found',
        'internal: true wanted, false found', 'mtu: 1400 wanted, none found', 'labels.a: b wanted, none found']


@pytest.mark.parametrize('item, problem', [
    ({'subnet': '10.1.0.0'}, "subnet: '10.1.0.0' is not a CIDR"),
    ({'subnet': '10.1.0.0/33'}, "subnet: '10.1.0.0/33' is not a CIDR"),
    ({'subnet': '10.1.0.0/024'}, "subnet: '10.1.0.0/024' is not a CIDR"),
    ({'subnet': 'fd00::g/64'}, "subnet: 'fd00::g/64' is not a CIDR"),
    ({'subnet': '::ffff:1.2.3.4/128'}, "subnet: '::ffff:1.2.3.4/128' is not a CIDR"),
    ({'internal': 'maybe'}, "internal: 'maybe' is not a boolean"),
    ({'internal': 2}, 'internal: 2 is not a boolean'),
    ({'state': 'gone'}, "state: 'gone' is not present or absent"),
    ({'driver_options': None}, 'driver_options: None is not a dict'),
    ({'labels': 'a=b'}, "labels: 'a=b' is not a dict"),
    ({'labels': {'a': True}}, 'labels.a: True is not a string'),
    ({'labels': {'a': 1.5}}, 'labels.a: 1.5 is not a string'),
    ({'labels': {1: 'a'}}, 'labels: key 1 is not a string'),
    ({'ip-range': '10.1.0.0/25'}, 'ip-range: not a key of a network item'),
    ({'mtu': 'abc'}, "mtu: 'abc' is not an integer"),
    ({'name': None}, 'name: missing'),
])
def test_input_the_module_refuses_is_a_difference(item, problem):
    """The role would fail on it: report it (whatever the network looks like) so the role still runs."""
    item = dict({'name': 'n'}, **item)
    assert network_differences(item, inspect()) == [problem]
    assert network_differences(dict(item, state='absent') if 'state' not in item else item, None) == [problem]


def test_valid_subnets_accepted():
    for subnet in ('10.1.0.0/24', '0.0.0.0/0', 'fd00::/64', '::/0', 'FD00:0:0:1::/128'):
        assert network_differences({'name': 'n', 'subnet': subnet}, None) == ['missing']

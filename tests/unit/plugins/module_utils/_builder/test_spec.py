import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import spec as s
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.driver_opts import SpecError

NETWORK_HOST = '--allow-insecure-entitlement=network.host'


def params(**kw):
    base = dict(name='container', driver_opts={}, buildkitd_flags=None, platforms=None)
    base.update(kw)
    return base


@pytest.mark.parametrize('name', ['1abc', 'default', 'Default', 'a b', '', 'a/b'])
def test_bad_names(name):
    with pytest.raises(SpecError) as err:
        s.validate_name(name)
    assert "name" in str(err.value)


def test_node_and_container_names_follow_buildx():
    spec = s.desired_spec(params(name='MyBuilder'), 'unix:///var/run/docker.sock')
    node = spec['nodes'][0]
    assert node['name'] == 'mybuilder0'
    assert s.container_name(node['name']) == 'buildx_buildkit_mybuilder0'
    assert s.volume_name(node['name']) == 'buildx_buildkit_mybuilder0_state'


@pytest.mark.parametrize('flags,network,config,expected', [
    (None, None, None, [NETWORK_HOST]),
    (['--debug'], None, None, ['--debug', NETWORK_HOST]),
    (['--allow-insecure-entitlement=security.insecure'], None, None,
     ['--allow-insecure-entitlement=security.insecure']),
    (['--allow-insecure-entitlement=security.insecure'], 'host', None,
     ['--allow-insecure-entitlement=security.insecure', NETWORK_HOST]),
    (['--debug', '--allow-insecure-entitlement=security.insecure'], None, None,
     ['--debug', '--allow-insecure-entitlement=security.insecure', NETWORK_HOST]),
    (None, None, {'insecure-entitlements': ['network.host']}, []),
    (None, 'host', {'insecure-entitlements': ['network.host']}, [NETWORK_HOST]),
])
def test_buildkitd_flags_rules(flags, network, config, expected):
    assert s.buildkitd_flags(flags, network, config) == expected


def test_invalid_toml_names_option():
    with pytest.raises(SpecError) as err:
        s.desired_spec(params(), 'unix:///var/run/docker.sock', config_text='debug = = true')
    assert 'buildkitd_config: invalid TOML' in str(err.value)


def test_container_spec_with_config_and_cgroupfs():
    spec = s.desired_spec(params(driver_opts={'memory': '1g', 'network': 'host'}), 'unix:///x',
                          config_text='debug = true\n')
    cspec = s.container_spec(spec['nodes'][0], {'cgroup_driver': 'cgroupfs'})
    assert cspec['cmd'] == ['--config', '/etc/buildkit/buildkitd.toml', NETWORK_HOST]
    assert cspec['memory'] == 1 << 30 and cspec['memory_swap'] == 2 << 30
    assert cspec['cgroup_parent'] == '/docker/buildx'
    assert s.container_spec(spec['nodes'][0], {'cgroup_driver': 'systemd'})['cgroup_parent'] == ''

"""Bad input: a clear error naming the option and value, and nothing left behind."""
import pytest

from support import TEST_IMAGE, container, store_files, volume_exists

CASES = [
    ('memory 4x', {'driver_opts': {'memory': '4x'}}, ['driver_opts.memory', '4x']),
    ('cpu_quota abc', {'driver_opts': {'cpu_quota': 'abc'}}, ['driver_opts.cpu_quota', 'abc']),
    ('restart sometimes', {'driver_opts': {'restart_policy': 'sometimes'}}, ['driver_opts.restart_policy', 'sometimes']),
    ('restart on-failure:x', {'driver_opts': {'restart_policy': 'on-failure:x'}}, ['driver_opts.restart_policy', 'on-failure:x']),
    ('env key A=B', {'driver_opts': {'env': {'A=B': '1'}}}, ['driver_opts.env', 'A=B']),
    ('env key empty', {'driver_opts': {'env': {'': '1'}}}, ['driver_opts.env', "''"]),
    ('name 1abc', {'name': '1abc'}, ['name', '1abc']),
    ('name default', {'name': 'default'}, ['name', 'default']),
    ('missing network', {'driver_opts': {'network': 'fleet-no-such-net'}}, ['driver_opts.network', 'fleet-no-such-net']),
    ('image neither pulls nor exists', {'driver_opts': {'image': '127.0.0.1:1/fleet/none:1'}},
     ['driver_opts.image', '127.0.0.1:1/fleet/none:1']),
    ('invalid TOML', {'buildkitd_config_inline': 'debug = = true'}, ['buildkitd_config', 'invalid TOML']),
    ('both config options', {'buildkitd_config_inline': 'debug = true', 'buildkitd_config': '/etc/hostname'},
     ['buildkitd_config', 'buildkitd_config_inline']),
    ('memory_swap without memory', {'driver_opts': {'memory_swap': '1g'}}, ['driver_opts.memory_swap', '1g']),
    ('buildx spelling', {'driver_opts': {'memory-swap': '1g'}}, ['driver_opts', 'memory-swap']),
    ('buildx spelling in a node', {'nodes': [{'driver_opts': {'cpu-quota': 1000}}]}, ['cpu_quota', 'cpu-quota']),
]


@pytest.mark.parametrize('label,options,words', CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_clearly_and_leaves_nothing(ansible, builder, docker_client, buildx_config, label, options, words):
    name = options.pop('name', None) or builder('bad')
    driver_opts = dict({'image': TEST_IMAGE}, **options.pop('driver_opts', {}))
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, driver_opts=driver_opts, **options)
    assert result.get('failed') is True, result
    for word in words:
        assert word in result['msg'], result['msg']
    node = name.lower() + '0'
    assert container(docker_client, node) is None
    assert not volume_exists(docker_client, node)
    assert store_files(buildx_config) == []


def test_bootstrap_timeout_fails_with_log_tail_and_leaves_nothing(ansible, builder, docker_client, buildx_config):
    name = builder('boot')
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False, bootstrap_timeout=4,
                     buildkitd_flags=['--fleet-no-such-flag'], driver_opts={'image': TEST_IMAGE})
    assert result['failed'] and 'did not answer within 4s' in result['msg']
    assert 'fleet-no-such-flag' in result['msg']  # from the container log tail
    assert container(docker_client, name + '0') is None and not volume_exists(docker_client, name + '0')
    assert store_files(buildx_config) == []


def test_default_config_file_of_the_store_is_used_like_buildx(ansible, builder, docker_client, buildx_config):
    import os
    with open(os.path.join(buildx_config, 'buildkitd.default.toml'), 'w') as handle:
        handle.write('debug = true\n')
    name = builder('deflt')
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                     driver_opts={'image': TEST_IMAGE})
    assert result['changed']
    assert container(docker_client, name + '0')['Config']['Cmd'][:2] == ['--config', '/etc/buildkit/buildkitd.toml']

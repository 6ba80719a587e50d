"""Drift repair: each kind of difference re-creates the container and keeps the state volume (the cache)."""
import io
import os
import tarfile

import pytest

from support import TEST_IMAGE, container, exec_in


def _put_file(client, name, path, text):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        data = text.encode()
        info = tarfile.TarInfo(os.path.basename(path))
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    client.api.put_archive(name, os.path.dirname(path), buf.getvalue())


def _drift_memory(client, name, args):
    args['driver_opts']['memory'] = '512m'


def _drift_update_limits(client, name, args):
    client.api.update_container(name, cpu_shares=100)


def _drift_restart_policy(client, name, args):
    client.api.update_container(name, restart_policy={'Name': 'always'})


def _drift_env(client, name, args):
    args['driver_opts']['env'] = {'BUILDKIT_FLEET_TEST': '1'}


def _drift_flags(client, name, args):
    args['buildkitd_flags'] = ['--debug']


def _drift_config_content(client, name, args):
    _put_file(client, name, '/etc/buildkit/buildkitd.toml', 'debug = false\n')


def _drift_network(client, name, args):
    args['driver_opts']['network'] = 'host'


def _drift_cgroup_parent(client, name, args):
    args['driver_opts']['cgroup_parent'] = '/docker/fleet-drift'


def _drift_store(client, name, args):
    path = os.path.join(args['buildx_config'], 'instances', args['name'])
    with open(path) as handle:
        text = handle.read()
    with open(path, 'w') as handle:
        handle.write(text.replace('"Platforms":null', '"Platforms":[{"architecture":"arm64","os":"linux"}]'))


DRIFTS = [
    ('memory option', _drift_memory, 'container.memory'),
    ('limit changed out of band', _drift_update_limits, 'container.cpu_shares'),
    ('restart policy changed out of band', _drift_restart_policy, 'container.restart_policy'),
    ('env', _drift_env, 'container.env'),
    ('flags', _drift_flags, 'container.cmd'),
    ('config file edited in the container', _drift_config_content, 'container.config'),
    ('network', _drift_network, 'container.network_mode'),
    ('cgroup parent', _drift_cgroup_parent, 'container.cgroup_parent'),
]


@pytest.mark.parametrize('label,drift,item', DRIFTS, ids=[d[0] for d in DRIFTS])
def test_drift_is_repaired_and_cache_volume_kept(ansible, builder, docker_client, buildx_config, label, drift, item):
    name = builder('drift')
    node = name + '0'
    cname = 'buildx_buildkit_' + node
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE},
                buildkitd_config_inline='debug = true\n')
    assert ansible('buildkit_builder', **args)['changed']
    before = container(docker_client, node)
    assert exec_in(docker_client, node, 'sh', '-c', 'echo cache > /var/lib/buildkit/fleet-marker')[0] == 0

    drift(docker_client, cname, args)
    predicted = ansible('buildkit_builder', check=True, **args)
    assert predicted['changed'] and item in [d['item'] for d in predicted['differences']], predicted['differences']
    assert container(docker_client, node)['Id'] == before['Id']

    repaired = ansible('buildkit_builder', diff=True, **args)
    assert repaired['changed'] and item in [d['item'] for d in repaired['differences']]
    after = container(docker_client, node)
    assert after['Id'] != before['Id'] and after['State']['Running']
    assert exec_in(docker_client, node, 'cat', '/var/lib/buildkit/fleet-marker') == (0, 'cache\n')
    assert ansible('buildkit_builder', **args)['changed'] is False


def test_image_id_drift_recreates(ansible, builder, docker_client, buildx_config):
    name = builder('imgid')
    node = name + '0'
    ref = 'buildkit-fleet/drift:' + name
    docker_client.api.tag(TEST_IMAGE, 'buildkit-fleet/drift', tag=name)
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': ref})
    try:
        ansible('buildkit_builder', **args)
        first = container(docker_client, node)
        exec_in(docker_client, node, 'sh', '-c', 'echo cache > /var/lib/buildkit/fleet-marker')
        new_id = docker_client.api.commit('buildx_buildkit_' + node, repository='buildkit-fleet/drift', tag=name)['Id']
        result = ansible('buildkit_builder', **args)
        assert result['changed'] and 'container.image_id' in [d['item'] for d in result['differences']]
        assert container(docker_client, node)['Image'] == new_id != first['Image']
        assert exec_in(docker_client, node, 'cat', '/var/lib/buildkit/fleet-marker') == (0, 'cache\n')
    finally:
        docker_client.api.remove_container('buildx_buildkit_' + node, force=True)
        docker_client.api.remove_image(ref, force=True)


def test_store_entry_drift_is_rewritten_without_recreate(ansible, builder, docker_client, buildx_config):
    name = builder('store')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE})
    ansible('buildkit_builder', **args)
    first = container(docker_client, node)
    _drift_store(docker_client, None, args)
    result = ansible('buildkit_builder', **args)
    assert result['changed'] and [d['item'] for d in result['differences']] == ['store.platforms']
    assert container(docker_client, node)['Id'] == first['Id']
    assert ansible('buildkit_builder', **args)['changed'] is False


def test_recreate_never_reports_and_always_recreates(ansible, builder, docker_client, buildx_config):
    name = builder('never')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE})
    ansible('buildkit_builder', **args)
    first = container(docker_client, node)['Id']
    args['driver_opts']['memory'] = '256m'
    kept = ansible('buildkit_builder', recreate='never', **args)
    assert 'container.memory' in [d['item'] for d in kept['differences']]
    assert container(docker_client, node)['Id'] == first
    forced = ansible('buildkit_builder', recreate='always', **args)
    assert forced['changed'] and container(docker_client, node)['Id'] != first


def test_recreated_network_recreates_builder_on_it(ansible, builder, docker_client, buildx_config):
    name = builder('net')
    node = name + '0'
    network = 'fleet-net-' + name
    docker_client.networks.create(network)
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE, 'network': network})
    try:
        ansible('buildkit_builder', **args)
        exec_in(docker_client, node, 'sh', '-c', 'echo cache > /var/lib/buildkit/fleet-marker')
        docker_client.api.stop('buildx_buildkit_' + node)
        docker_client.networks.get(network).remove()
        new_id = docker_client.networks.create(network).id
        result = ansible('buildkit_builder', **args)
        assert result['changed'] and 'container.network_id' in [d['item'] for d in result['differences']]
        real = container(docker_client, node)
        assert real['State']['Running'] and real['NetworkSettings']['Networks'][network]['NetworkID'] == new_id
        assert exec_in(docker_client, node, 'cat', '/var/lib/buildkit/fleet-marker') == (0, 'cache\n')
        assert ansible('buildkit_builder', **args)['changed'] is False
    finally:
        docker_client.api.remove_container('buildx_buildkit_' + node, force=True)
        docker_client.networks.get(network).remove()

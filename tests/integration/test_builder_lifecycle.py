"""buildkit_builder against the real daemon: create, idempotence, check mode, stop/start, absent."""
import json
import os

from support import DEFAULT_IMAGE, TEST_IMAGE, container, store_files, volume_exists

SOCK = 'unix:///var/run/docker.sock'


def test_create_check_mode_first_then_idempotent(ansible, builder, docker_client, buildx_config):
    name = builder('Life')
    node = name.lower() + '0'
    args = dict(name=name, buildx_config=buildx_config, use=True, driver_opts={'memory': '1g', 'cpu_shares': 512})

    predicted = ansible('buildkit_builder', check=True, diff=True, **args)
    assert predicted['changed'] is True
    assert container(docker_client, node) is None and not volume_exists(docker_client, node)
    assert store_files(buildx_config) == []

    created = ansible('buildkit_builder', diff=True, **args)
    assert created['changed'] is True, created
    real = container(docker_client, node)
    host = real['HostConfig']
    assert real['State']['Running'] and real['Config']['Image'] == DEFAULT_IMAGE
    assert host['Privileged'] and host['Init'] and host['RestartPolicy']['Name'] == 'unless-stopped'
    assert host['Memory'] == 1 << 30 and host['CpuShares'] == 512
    assert real['Config']['Cmd'] == ['--allow-insecure-entitlement=network.host']
    assert [(m['Name'], m['Destination']) for m in real['Mounts']] == [('buildx_buildkit_%s_state' % node, '/var/lib/buildkit')]
    if docker_client.info()['CgroupDriver'] == 'cgroupfs':
        assert host['CgroupParent'] == '/docker/buildx'
    with open(os.path.join(buildx_config, 'instances', name.lower()), 'rb') as handle:
        raw = handle.read()
    assert raw == ('{"Name":"%s","Driver":"docker-container","Nodes":[{"Name":"%s","Endpoint":"%s","Platforms":null,'
                   '"DriverOpts":{"cpu-shares":"512","memory":"1g"},"Flags":["--allow-insecure-entitlement=network.host"],'
                   '"Files":null}],"Dynamic":false}' % (name, node, SOCK)).encode()
    assert oct(os.stat(os.path.join(buildx_config, 'instances', name.lower())).st_mode & 0o777) == '0o600'
    assert json.load(open(os.path.join(buildx_config, 'current'))) == {'Key': SOCK, 'Name': name, 'Global': False}
    record = created['builder']['nodes'][0]
    assert record['status'] == 'running' and record['container_id'] == real['Id']
    assert record['buildkit_version'] and 'linux/amd64' in record['platforms']
    assert created['diff']['before']['status'] == 'inactive' and created['diff']['after']['status'] == 'running'

    assert ansible('buildkit_builder', check=True, **args)['changed'] is False
    again = ansible('buildkit_builder', **args)
    assert again['changed'] is False, again['differences']
    assert container(docker_client, node)['Id'] == real['Id']


def test_stop_start_and_out_of_band_removal(ansible, builder, docker_client, buildx_config):
    name = builder('stop')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, driver_opts={'image': TEST_IMAGE})
    assert ansible('buildkit_builder', **args)['changed']

    assert ansible('buildkit_builder', check=True, state='stopped', **args)['changed'] is True
    assert container(docker_client, node)['State']['Running']
    stopped = ansible('buildkit_builder', state='stopped', **args)
    assert stopped['changed'] and not container(docker_client, node)['State']['Running']
    assert ansible('buildkit_builder', state='stopped', **args)['changed'] is False

    assert ansible('buildkit_builder', check=True, **args)['changed'] is True
    started = ansible('buildkit_builder', **args)
    assert started['changed'] and container(docker_client, node)['State']['Running']
    assert started['actions'] == ['start container buildx_buildkit_%s' % node]

    docker_client.api.remove_container('buildx_buildkit_' + node, force=True)
    repaired = ansible('buildkit_builder', **args)
    assert repaired['changed'] and container(docker_client, node)['State']['Running']
    assert ansible('buildkit_builder', **args)['changed'] is False


def test_absent_with_and_without_keep_state(ansible, builder, docker_client, buildx_config):
    name = builder('rm')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, driver_opts={'image': TEST_IMAGE})
    ansible('buildkit_builder', **args)

    assert ansible('buildkit_builder', check=True, state='absent', keep_state=True, **args)['changed']
    assert container(docker_client, node) is not None
    kept = ansible('buildkit_builder', state='absent', keep_state=True, **args)
    assert kept['changed'] and container(docker_client, node) is None
    assert volume_exists(docker_client, node) and store_files(buildx_config) == []
    assert ansible('buildkit_builder', state='absent', keep_state=True, **args)['changed'] is False

    # the leftover volume alone is cleaned by a plain absent
    gone = ansible('buildkit_builder', state='absent', **args)
    assert gone['changed'] and not volume_exists(docker_client, node)
    assert ansible('buildkit_builder', state='absent', **args)['changed'] is False


def test_absent_cleans_a_store_entry_without_container(ansible, builder, docker_client, buildx_config):
    name = builder('orphan')
    args = dict(name=name, buildx_config=buildx_config, driver_opts={'image': TEST_IMAGE})
    ansible('buildkit_builder', **args)
    docker_client.api.remove_container('buildx_buildkit_%s0' % name, force=True, v=False)
    docker_client.api.remove_volume('buildx_buildkit_%s0_state' % name)
    assert store_files(buildx_config)
    result = ansible('buildkit_builder', state='absent', **args)
    assert result['changed'] and store_files(buildx_config) == []


def test_driver_opts_are_stored_in_buildx_spelling(ansible, builder, docker_client, buildx_config):
    name = builder('spell')
    args = dict(name=name, buildx_config=buildx_config, pull=False,
                driver_opts={'image': TEST_IMAGE, 'memory': '512m', 'memory_swap': '1g', 'restart_policy': 'on-failure:2',
                             'cpu_period': 100000, 'cpu_quota': '50000', 'cpuset_cpus': '0', 'cgroup_parent': '/docker/fleet'})
    assert ansible('buildkit_builder', **args)['changed']
    host = container(docker_client, name + '0')['HostConfig']
    assert (host['Memory'], host['MemorySwap']) == (512 << 20, 1 << 30)
    assert host['RestartPolicy'] == {'Name': 'on-failure', 'MaximumRetryCount': 2}
    assert (host['CpuPeriod'], host['CpuQuota'], host['CpusetCpus']) == (100000, 50000, '0')
    if docker_client.info()['CgroupDriver'] == 'cgroupfs':
        assert host['CgroupParent'] == '/docker/fleet'
    with open(os.path.join(buildx_config, 'instances', name)) as handle:
        stored = json.load(handle)['Nodes'][0]['DriverOpts']
    assert stored['memory-swap'] == '1g' and stored['restart-policy'] == 'on-failure:2'
    assert ansible('buildkit_builder', **args)['changed'] is False

"""buildkit_builder_info against real builders on two real daemons: facts, read-only, bootstrap only on request."""
import calendar
import json
import os
import time

import docker
import pytest

from cache_support import MB, buildctl_du, buildx_du, container_state, fill_cache
from support import TEST_IMAGE, buildx, run_local_playbook, store_files

DOCKER2 = os.environ.get('BUILDKIT_FLEET_DOCKER2_HOST', 'unix:///run/buildkit-fleet/docker2.sock')


@pytest.fixture
def docker2():
    client = docker.DockerClient(base_url=DOCKER2, timeout=120)
    try:
        client.images.get(TEST_IMAGE)
    except Exception as exc:  # the harness must have started it: not a skip
        pytest.fail('second dockerd at %s is not usable (run tests/harness/setup.sh): %s' % (DOCKER2, exc))
    return client


def store_snapshot(buildx_config):
    snap = {}
    for rel in store_files(buildx_config):
        path = os.path.join(buildx_config, rel)
        if os.path.isfile(path):
            with open(path, 'rb') as handle:
                snap[rel] = handle.read()
    return snap


def test_one_builder_full_facts_read_only(ansible, builder, docker_client, buildx_config, tmp_path):
    name = builder('inf')
    node = name + '0'
    made = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                   platforms=['linux/amd64'], driver_opts={'image': TEST_IMAGE})
    assert not made['failed'], made
    fill_cache(buildx_config, name, tmp_path)
    before_state, before_store = container_state(docker_client, node), store_snapshot(buildx_config)
    before_du = buildctl_du(docker_client, node)

    for check in (True, False):
        result = ansible('buildkit_builder_info', check=check, name=name, buildx_config=buildx_config)
        assert not result['failed'], result
        assert result['changed'] is False and result['exists'] is True
        facts = result['builder']
        assert facts['name'] == name and facts['driver'] == 'docker-container' and facts['status'] == 'running'
        assert [b['name'] for b in result['builders']] == [name]
        stamp = calendar.timegm(time.strptime(facts['last_activity'], '%Y-%m-%dT%H:%M:%SZ'))
        assert abs(time.time() - stamp) < 600
        (facts_node,) = facts['nodes']
        assert facts_node['name'] == node and facts_node['status'] == 'running' and facts_node['error'] is None
        assert facts_node['buildkit_version'] == 'v0.32.2'
        assert facts_node['fixed_platforms'] == ['linux/amd64']
        assert 'linux/amd64' in facts_node['platforms'] and 'linux/arm64' in facts_node['platforms']  # QEMU
        assert facts_node['worker_labels']['org.mobyproject.buildkit.worker.executor'] == 'oci'
        assert facts_node['worker_labels']['org.mobyproject.buildkit.worker.snapshotter'] == 'overlayfs'
        gc = facts_node['gc_policy']
        assert gc and all(isinstance(rule['keep_duration'], int) and isinstance(rule['max_used_space'], int)
                          for rule in gc)
        assert gc[-1]['all'] is True
        assert facts_node['image'] == TEST_IMAGE and facts_node['volume_exists'] is True
        usage = facts_node['disk_usage']
        # the same records buildctl and buildx see, the same byte total
        assert usage['records'] == len(before_du) == len(buildx_du(buildx_config, name))
        assert usage['total'] == sum(size for _t, size, _u in before_du.values())
        assert usage['total'] >= 5 * MB and usage['reclaimable'] >= 5 * MB
        assert usage['by_type']['regular']['total'] >= 5 * MB
        assert usage['by_type']['source.local']['records'] >= 1
        assert sum(t['total'] for t in usage['by_type'].values()) == usage['total']

    records = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config, disk_usage_records=True)
    entries = records['builder']['nodes'][0]['disk_usage']['entries']
    assert set(i['id'] for i in entries) == set(before_du)
    # nothing changed: container, store (activity included) and cache
    assert container_state(docker_client, node) == before_state
    assert store_snapshot(buildx_config) == before_store
    assert buildctl_du(docker_client, node) == before_du


def test_all_builders_buildx_made_two_daemons_and_unreachable(ansible, builder, docker2, buildx_config):
    mod, made, broken = builder('infm'), builder('infx'), builder('infu')
    assert not ansible('buildkit_builder', name=mod, buildx_config=buildx_config, pull=False,
                       driver_opts={'image': TEST_IMAGE})['failed']
    opt = 'image=' + TEST_IMAGE
    buildx(buildx_config, 'create', '--name', made, '--node', made + '0', '--driver', 'docker-container',
           '--driver-opt', opt, '--platform', 'linux/amd64', '--bootstrap')
    remote_node = made + 'r'
    try:
        buildx(buildx_config, 'create', '--append', '--name', made, '--node', remote_node, '--driver-opt', opt,
               '--platform', 'linux/arm64', '--bootstrap', DOCKER2)
        # a builder whose endpoint does not answer (written as buildx writes entries)
        entry = {'Name': broken, 'Driver': 'docker-container', 'Dynamic': False,
                 'Nodes': [{'Name': broken + '0', 'Endpoint': 'unix:///run/buildkit-fleet/nothing-here.sock',
                            'Platforms': None, 'DriverOpts': None, 'Flags': None, 'Files': None}]}
        with open(os.path.join(buildx_config, 'instances', broken), 'w') as handle:
            json.dump(entry, handle)
        buildx(buildx_config, 'use', made)

        result = ansible('buildkit_builder_info', buildx_config=buildx_config, disk_usage=False)
        assert not result['failed'], result
        assert result['changed'] is False and 'builder' not in result
        by_name = dict((b['name'], b) for b in result['builders'])
        assert sorted(by_name) == sorted([mod, made, broken])
        assert by_name[mod]['status'] == 'running' and by_name[mod]['current'] is False
        assert by_name[made]['current'] is True
        nodes = dict((n['name'], n) for n in by_name[made]['nodes'])
        assert nodes[made + '0']['endpoint'] == 'unix:///var/run/docker.sock'
        assert nodes[remote_node]['endpoint'] == DOCKER2
        for node_name, plat in ((made + '0', 'linux/amd64'), (remote_node, 'linux/arm64')):
            assert nodes[node_name]['status'] == 'running', nodes[node_name]
            assert nodes[node_name]['fixed_platforms'] == [plat]
            assert nodes[node_name]['buildkit_version'] == 'v0.32.2'
            assert nodes[node_name]['disk_usage'] is None
        assert docker2.api.inspect_container('buildx_buildkit_' + remote_node)['Id'] == nodes[remote_node]['container_id']
        (dead,) = by_name[broken]['nodes']
        assert dead['status'] == 'unreachable' and 'nothing-here.sock' in dead['error'] and broken + '0' in dead['error']
        assert by_name[broken]['last_activity'] is None

        missing = ansible('buildkit_builder_info', name='nosuch' + mod, buildx_config=buildx_config)
        assert not missing['failed'] and missing['exists'] is False and missing['builder'] is None
        assert missing['builders'] == []
    finally:
        if os.path.exists(os.path.join(buildx_config, 'instances', broken)):
            os.unlink(os.path.join(buildx_config, 'instances', broken))
        buildx(buildx_config, 'rm', made, check=False)
        for found in docker2.containers.list(all=True, filters={'name': 'buildx_buildkit_' + remote_node}):
            found.remove(force=True, v=True)
        for volume in docker2.volumes.list(filters={'name': 'buildx_buildkit_%s_state' % remote_node}):
            volume.remove(force=True)


def test_stopped_builder_stays_stopped_unless_bootstrap(ansible, builder, docker_client, buildx_config):
    name = builder('infs')
    node = name + '0'
    assert not ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                       driver_opts={'image': TEST_IMAGE})['failed']
    docker_client.api.stop('buildx_buildkit_' + node)
    stopped = container_state(docker_client, node)
    assert stopped[1] is False

    for check, args in ((False, {}), (True, {}), (True, {'bootstrap': True})):
        result = ansible('buildkit_builder_info', check=check, name=name, buildx_config=buildx_config, **args)
        assert not result['failed'], result
        assert result['changed'] is False
        (facts,) = result['builder']['nodes']
        assert facts['status'] == 'stopped' and facts['booted'] is False
        assert facts['buildkit_version'] is None and facts['disk_usage'] is None
        assert facts['volume_exists'] is True and facts['container_id'] == stopped[0]
        if args:
            assert any('bootstrap would start' in note for note in facts['notes'])
        assert container_state(docker_client, node) == stopped

    booted = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config, bootstrap=True)
    assert not booted['failed'], booted
    assert booted['changed'] is True
    (facts,) = booted['builder']['nodes']
    assert facts['booted'] is True and facts['status'] == 'running'
    assert facts['buildkit_version'] == 'v0.32.2' and facts['disk_usage'] is not None
    after = container_state(docker_client, node)
    assert after[0] == stopped[0] and after[1] is True
    again = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config, bootstrap=True)
    assert again['changed'] is False and again['builder']['nodes'][0]['booted'] is False


DOT_PLAYBOOK = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - buildkit.fleet.buildkit_builder:
        name: {name}
        buildx_config: {store}
        pull: false
        driver_opts: {{image: {image}}}
    - buildkit.fleet.buildkit_builder_info:
        name: {name}
        buildx_config: {store}
        disk_usage_records: true
      register: info
    - ansible.builtin.assert:
        that:
          - info.builder.nodes[0].disk_usage.entries is sequence
          - info.builder.nodes[0].disk_usage.entries | length == info.builder.nodes[0].disk_usage.records
'''


def test_every_record_is_reachable_with_jinja_dot_notation(builder, tmp_path):
    name = builder('dots')
    playbook = tmp_path / 'play.yml'
    playbook.write_text(DOT_PLAYBOOK.format(name=name, store=tmp_path / 'store', image=TEST_IMAGE))
    proc = run_local_playbook(playbook)
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""buildkit_prune against real builders: reclaimed bytes, filters, storage limits, check mode, orphaned volumes."""
import os
import subprocess
import uuid

import docker

from cache_support import MB, buildctl_du, container_state, fill_cache
from support import TEST_IMAGE, buildx, container, volume_exists


def make_builder(ansible, buildx_config, name):
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                     driver_opts={'image': TEST_IMAGE})
    assert not result['failed'], result


def reclaimable(records, types=None):
    return sum(size for kind, size, in_use in records.values() if not in_use and (types is None or kind in types))


def test_prune_check_then_prune_then_nothing(ansible, builder, docker_client, buildx_config, tmp_path):
    name = builder('prx')
    node = name + '0'
    buildx(buildx_config, 'create', '--name', name, '--driver', 'docker-container', '--driver-opt',
           'image=' + TEST_IMAGE, '--bootstrap')  # a builder buildx made
    fill_cache(buildx_config, name, tmp_path)
    before = buildctl_du(docker_client, node)
    assert reclaimable(before) >= 5 * MB

    check = ansible('buildkit_prune', check=True, name=name, buildx_config=buildx_config)
    assert not check['failed'], check
    assert check['changed'] is True and check['estimated'] is True
    assert check['reclaimed'] == check['cache_reclaimed'] == reclaimable(before)
    assert check['records_removed'] == len(before)
    assert buildctl_du(docker_client, node) == before  # check mode removed nothing

    pruned = ansible('buildkit_prune', name=name, buildx_config=buildx_config)
    assert not pruned['failed'], pruned
    assert pruned['changed'] is True and pruned['estimated'] is False
    assert pruned['reclaimed'] == check['reclaimed'] and pruned['records_removed'] == check['records_removed']
    (node_result,) = pruned['nodes']
    assert node_result['name'] == node and node_result['by_type']['regular']['size'] >= 5 * MB
    assert buildctl_du(docker_client, node) == {}

    again = ansible('buildkit_prune', name=name, buildx_config=buildx_config)
    assert not again['failed'] and again['changed'] is False and again['reclaimed'] == 0
    assert ansible('buildkit_prune', check=True, name=name, buildx_config=buildx_config)['changed'] is False


def test_prune_filters_type_and_until_and_stopped_node(ansible, builder, docker_client, buildx_config, tmp_path):
    name = builder('prf')
    node = name + '0'
    make_builder(ansible, buildx_config, name)
    fill_cache(buildx_config, name, tmp_path)
    before = buildctl_du(docker_client, node)

    recent = ansible('buildkit_prune', name=name, buildx_config=buildx_config, filters={'until': '1h'})
    assert not recent['failed'], recent
    assert recent['changed'] is False and recent['reclaimed'] == 0  # everything was used seconds ago
    assert '--keep-duration' in recent['command'] and '1h0m0s' in recent['command']
    assert buildctl_du(docker_client, node) == before

    expected = reclaimable(before, ('source.local',))
    check = ansible('buildkit_prune', check=True, name=name, buildx_config=buildx_config,
                    filters={'type': ['source.local']})
    assert check['changed'] is True and check['reclaimed'] == expected
    local = ansible('buildkit_prune', name=name, buildx_config=buildx_config, filters={'type': ['source.local']})
    assert not local['failed'], local
    assert local['changed'] is True and local['reclaimed'] == expected
    assert list(local['nodes'][0]['by_type']) == ['source.local']
    after = buildctl_du(docker_client, node)
    assert after and set(kind for kind, _s, _u in after.values()) == {'regular'}
    assert reclaimable(after) >= 5 * MB

    # a stopped node is started for the prune and stopped again; check mode leaves it alone
    docker_client.api.stop('buildx_buildkit_' + node)
    stopped = container_state(docker_client, node)
    check = ansible('buildkit_prune', check=True, name=name, buildx_config=buildx_config)
    assert check['nodes'][0]['reclaimed'] is None and check['changed'] is False
    assert container_state(docker_client, node) == stopped
    skipped = ansible('buildkit_prune', name=name, buildx_config=buildx_config, bootstrap=False)
    assert skipped['changed'] is False and 'stopped' in skipped['nodes'][0]['skipped']
    assert container_state(docker_client, node) == stopped
    pruned = ansible('buildkit_prune', name=name, buildx_config=buildx_config, filters={'type': ['regular']})
    assert not pruned['failed'], pruned
    assert pruned['changed'] is True and pruned['nodes'][0]['started'] is True
    assert pruned['reclaimed'] == reclaimable(after)
    assert container(docker_client, node)['State']['Running'] is False


def test_prune_storage_limits(ansible, builder, docker_client, buildx_config, tmp_path):
    name = builder('prs')
    node = name + '0'
    make_builder(ansible, buildx_config, name)
    fill_cache(buildx_config, name, tmp_path, sizes=(3 * MB, 3 * MB, 3 * MB))
    before = buildctl_du(docker_client, node)
    total = sum(size for _k, size, _u in before.values())

    kept = ansible('buildkit_prune', name=name, buildx_config=buildx_config, keep_storage='1g', all=True)
    assert not kept['failed'], kept
    assert kept['changed'] is False and buildctl_du(docker_client, node) == before  # below the reserved space
    enough_free = ansible('buildkit_prune', name=name, buildx_config=buildx_config, min_free_space='1k')
    # BuildKit itself would drop one record here (its loop stops only below the kept size): the module skips
    assert enough_free['changed'] is False and buildctl_du(docker_client, node) == before
    assert 'min_free_space holds' in enough_free['nodes'][0]['skipped']

    limit = 8 * 1024 * 1024  # room for one or two of the three 3 MB records
    check = ansible('buildkit_prune', check=True, name=name, buildx_config=buildx_config, max_used_space='8MiB')
    assert check['changed'] is True and total - check['reclaimed'] < limit
    assert buildctl_du(docker_client, node) == before
    capped = ansible('buildkit_prune', name=name, buildx_config=buildx_config, max_used_space='8MiB')
    assert not capped['failed'], capped
    assert capped['changed'] is True and capped['reclaimed'] > 0
    after = buildctl_du(docker_client, node)
    assert sum(size for _k, size, _u in after.values()) < limit
    assert capped['reclaimed'] == total - sum(size for _k, size, _u in after.values())

    # min_free_space far above the disk: BuildKit removes everything it may
    everything = ansible('buildkit_prune', name=name, buildx_config=buildx_config, min_free_space='1p', all=True)
    assert everything['changed'] is bool(after) and buildctl_du(docker_client, node) == {}


def test_bad_options_fail_clearly(ansible, buildx_config):
    bad = ansible('buildkit_prune', name='nosuchbuilder', buildx_config=buildx_config, max_used_space='10x')
    assert bad['failed'] and 'max_used_space' in bad['msg'] and '10x' in bad['msg']
    missing = ansible('buildkit_prune', name='nosuchbuilder', buildx_config=buildx_config)
    assert missing['failed'] and 'nosuchbuilder' in missing['msg'] and buildx_config in missing['msg']
    nothing = ansible('buildkit_prune', buildx_config=buildx_config)
    assert nothing['failed'] and 'orphaned_volumes' in nothing['msg']


def test_orphaned_volumes(ansible, builder, docker_client, buildx_config, tmp_path):
    prefix = 'orph%s' % uuid.uuid4().hex[:6]
    kept_name, gone_name, other_name = builder(prefix + 'k'), builder(prefix + 'g'), builder(prefix + 'o')
    other_store = str(tmp_path / 'other-store')
    for store, name in ((buildx_config, kept_name), (buildx_config, gone_name), (other_store, other_name)):
        buildx(store, 'create', '--name', name, '--driver', 'docker-container', '--driver-opt',
               'image=' + TEST_IMAGE, '--bootstrap')
    fill_cache(buildx_config, gone_name, tmp_path)
    buildx(buildx_config, 'rm', '--keep-state', gone_name)  # the setup-buildx-action#122 leftover
    gone, kept, other = gone_name + '0', kept_name + '0', other_name + '0'
    assert volume_exists(docker_client, gone) and container(docker_client, gone) is None
    # a bare leftover volume that never had a container, on the same prefix
    bare = 'buildx_buildkit_%sb0_state' % prefix
    subprocess.run(['docker', 'volume', 'create', bare], check=True, capture_output=True)
    try:
        without = ansible('buildkit_prune', name=kept_name, buildx_config=buildx_config)
        assert not without['failed'] and without['orphaned_volumes'] == []
        assert volume_exists(docker_client, gone)  # orphans stay without orphaned_volumes

        args = dict(buildx_config=buildx_config, orphaned_volumes=True, orphaned_volumes_pattern=prefix + '*')
        check = ansible('buildkit_prune', check=True, **args)
        assert not check['failed'], check
        found = dict((o['name'], o) for o in check['orphaned_volumes'])
        assert sorted(found) == sorted(['buildx_buildkit_%s_state' % gone, bare])
        assert check['changed'] is True and found['buildx_buildkit_%s_state' % gone]['size'] >= 5 * MB
        assert check['volumes_reclaimed'] >= 5 * MB
        assert volume_exists(docker_client, gone)

        removed = ansible('buildkit_prune', **args)
        assert not removed['failed'], removed
        assert removed['changed'] is True and all(o['removed'] for o in removed['orphaned_volumes'])
        assert removed['volumes_reclaimed'] == check['volumes_reclaimed'] and removed['reclaimed'] >= 5 * MB
        assert not volume_exists(docker_client, gone)
        assert volume_exists(docker_client, kept)  # its builder is in the store
        assert volume_exists(docker_client, other)  # another store's builder: its container mounts it
        again = ansible('buildkit_prune', **args)
        assert again['changed'] is False and again['orphaned_volumes'] == []
    finally:
        subprocess.run(['docker', 'volume', 'rm', '-f', bare], check=False, capture_output=True)
        buildx(other_store, 'rm', other_name, check=False)


def test_prune_every_node_of_a_two_daemon_builder(ansible, builder, docker_client, buildx_config, tmp_path):
    docker2_host = os.environ.get('BUILDKIT_FLEET_DOCKER2_HOST', 'unix:///run/buildkit-fleet/docker2.sock')
    docker2 = docker.DockerClient(base_url=docker2_host, timeout=120)
    name = builder('prm')
    local, remote = name + '0', name + 'r'
    opt = 'image=' + TEST_IMAGE
    buildx(buildx_config, 'create', '--name', name, '--node', local, '--driver', 'docker-container',
           '--driver-opt', opt, '--platform', 'linux/amd64', '--bootstrap')
    try:
        buildx(buildx_config, 'create', '--append', '--name', name, '--node', remote, '--driver-opt', opt,
               '--platform', 'linux/arm64', '--bootstrap', docker2_host)
        context = tmp_path / 'ctx'
        context.mkdir()
        (context / 'f.bin').write_bytes(os.urandom(2 * MB))
        (context / 'Dockerfile').write_text('FROM scratch\nCOPY f.bin /f.bin\n')
        buildx(buildx_config, 'build', '--builder', name, '--platform', 'linux/amd64,linux/arm64',
               '--output', 'type=local,dest=%s' % (tmp_path / 'out'), str(context))
        pruned = ansible('buildkit_prune', name=name, buildx_config=buildx_config)
        assert not pruned['failed'], pruned
        nodes = dict((n['name'], n) for n in pruned['nodes'])
        assert sorted(nodes) == sorted([local, remote])
        assert nodes[remote]['endpoint'] == docker2_host
        for node in nodes.values():  # each daemon's node held its own copy of the context and layer
            assert node['reclaimed'] >= 2 * MB, node
        assert pruned['reclaimed'] == sum(n['reclaimed'] for n in nodes.values())
        code, out = docker2.containers.get('buildx_buildkit_' + remote).exec_run(
            ['buildctl', 'du', '--format', '{{json .}}'])
        assert code == 0 and out.decode().strip() == 'null'
        assert buildctl_du(docker_client, local) == {}
    finally:
        buildx(buildx_config, 'rm', name, check=False)
        for found in docker2.containers.list(all=True, filters={'name': 'buildx_buildkit_' + remote}):
            found.remove(force=True)
        for volume in docker2.volumes.list(filters={'name': 'buildx_buildkit_%s_state' % remote}):
            volume.remove(force=True)

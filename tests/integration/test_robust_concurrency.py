"""Concurrent runs of one builder (real parallel ansible-playbook processes): every run ends ok, one changes it."""
import os

from robust_support import Playbook, SlowRegistry, kill_tree, run_parallel, tag_image, untag, wait_for
from support import TEST_IMAGE, buildx, container, store_files, volume_exists

WAYS = 4


def dead(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X')
    except (IOError, OSError):
        return True


def assert_one_changed(results):
    assert [r.get('failed', False) for r in results] == [False] * len(results), [r.get('msg') for r in results]
    assert sorted(r['changed'] for r in results) == [False] * (len(results) - 1) + [True], results


def test_parallel_present_recreate_stopped_absent(tmp_path, builder, docker_client, buildx_config):
    """A fresh store and a fresh builder: 4 runs at once (store dirs made concurrently, one create)."""
    name = builder('robustpar')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE})

    results = run_parallel(tmp_path / 'present', 'buildkit_builder', [args] * WAYS, buildx_config)
    assert_one_changed(results)
    first = container(docker_client, node)
    assert first['State']['Running'] and volume_exists(docker_client, node)
    assert sorted(store_files(buildx_config)) == sorted(['instances/' + name, 'activity/' + name])
    assert name in buildx(buildx_config, 'ls').stdout

    changed = dict(args, driver_opts={'image': TEST_IMAGE, 'memory': '512m'})
    results = run_parallel(tmp_path / 'recreate', 'buildkit_builder', [changed] * WAYS, buildx_config)
    assert_one_changed(results)
    second = container(docker_client, node)
    assert second['Id'] != first['Id'] and second['State']['Running']
    assert second['HostConfig']['Memory'] == 512 << 20
    assert [m['Name'] for m in second['Mounts']] == ['buildx_buildkit_%s_state' % node]

    stopped = dict(changed, state='stopped')
    results = run_parallel(tmp_path / 'stopped', 'buildkit_builder', [stopped] * 3, buildx_config)
    assert_one_changed(results)
    assert container(docker_client, node)['Id'] == second['Id'] and not container(docker_client, node)['State']['Running']

    gone = dict(name=name, buildx_config=buildx_config, state='absent')
    results = run_parallel(tmp_path / 'absent', 'buildkit_builder', [gone] * WAYS, buildx_config)
    assert_one_changed(results)
    assert container(docker_client, node) is None and not volume_exists(docker_client, node)
    assert store_files(buildx_config) == []


def test_lock_wait_is_bounded_and_says_so(tmp_path, builder, docker_client, buildx_config):
    """While one run waits for a buildkitd that never answers, a second run with lock_timeout=1 gives up clearly
    and changes nothing."""
    name = builder('robustlock')
    slow = Playbook(str(tmp_path), 0, 'buildkit_builder', dict(
        name=name, buildx_config=buildx_config, pull=False, bootstrap_timeout=60,
        buildkitd_flags=['--robust-no-such-flag'], driver_opts={'image': TEST_IMAGE}), buildx_config)
    wait_for(lambda: container(docker_client, name + '0'), 60, 'the first run to create the container')
    quick = Playbook(str(tmp_path), 1, 'buildkit_builder', dict(
        name=name, buildx_config=buildx_config, pull=False, lock_timeout=1, driver_opts={'image': TEST_IMAGE}),
        buildx_config)
    waited = quick.wait()
    assert waited['failed'] and not waited['changed'] and waited['actions'] == []
    assert 'builder %s' % name in waited['msg'] and 'lock_timeout' in waited['msg'] and 'after 1s' in waited['msg']
    assert slow.proc.poll() is None  # the first run still holds the lock
    kill_tree(slow.proc)
    assert store_files(buildx_config) == []


def test_killed_run_then_parallel_runs_converge(tmp_path, builder, docker_client, buildx_config):
    """Kill the whole process tree of a run mid-create (container made, not ready); then 3 runs at once repair it."""
    name = builder('robustkill')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE})
    victim = Playbook(str(tmp_path), 0, 'buildkit_builder', dict(args, bootstrap_timeout=30,
                      buildkitd_flags=['--robust-no-such-flag']), buildx_config)
    wait_for(lambda: container(docker_client, node), 60, 'the run to create the container')
    tree = kill_tree(victim.proc)
    assert len(tree) >= 3  # ansible-playbook, its worker, the module
    wait_for(lambda: all(dead(pid) for pid in tree), 10, 'every process of the tree to die')
    assert container(docker_client, node) is not None and store_files(buildx_config) == []

    results = run_parallel(tmp_path / 'after', 'buildkit_builder', [args] * 3, buildx_config)
    assert_one_changed(results)
    real = container(docker_client, node)
    assert real['State']['Running'] and '--robust-no-such-flag' not in real['Config']['Cmd']
    assert 'instances/' + name in store_files(buildx_config)


def test_foreign_create_during_pull_is_never_removed(tmp_path, builder, docker_client, buildx_config):
    """While the module waits on a slow pull, buildx creates the same builder; the module's failure leaves it running."""
    registry = SlowRegistry(delay=90)
    image = tag_image(docker_client, TEST_IMAGE, '127.0.0.1:%d/robust/slow:1' % registry.port)
    try:
        name = builder('robustrace')
        node = name + '0'
        module = Playbook(str(tmp_path), 0, 'buildkit_builder', dict(
            name=name, buildx_config=buildx_config, pull=True, driver_opts={'image': image}), buildx_config)
        wait_for(lambda: registry.hits, 60, 'the module to pull from the slow registry')
        other_store = str(tmp_path / 'other-store')
        os.mkdir(other_store)
        buildx(other_store, 'create', '--name', name, '--driver', 'docker-container',
               '--driver-opt', 'image=' + TEST_IMAGE, '--bootstrap', timeout=120)
        theirs = container(docker_client, node)
        assert theirs['State']['Running']
        registry.released.set()  # now the module's pull fails and it goes on to create the container
        outcome = module.wait()
        assert outcome['failed'] and 'created it meanwhile' in outcome['msg'], outcome
        survivor = container(docker_client, node)
        assert survivor is not None and survivor['Id'] == theirs['Id'] and survivor['State']['Running']
        assert volume_exists(docker_client, node)
        assert store_files(buildx_config) == []
        again = Playbook(str(tmp_path), 1, 'buildkit_builder', dict(
            name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE}), buildx_config).wait()
        assert not again.get('failed') and again['changed'], again
        assert container(docker_client, node)['Id'] == theirs['Id']  # adopted: same settings as buildx
    finally:
        registry.close()
        untag(docker_client, image)

"""Faults a builder survives: the next run repairs it (check mode predicts it), the run after finds nothing to do."""
import os

import docker
import pytest

from support import TEST_IMAGE, container, exec_in, store_files


def _kill_container(client, node, _store):
    client.api.kill('buildx_buildkit_' + node)


def _kill_buildkitd(client, node, _store):
    exec_in(client, node, 'sh', '-c', 'kill -9 $(pidof buildkitd)')


def _delete_config(client, node, _store):
    code, out = exec_in(client, node, 'rm', '/etc/buildkit/buildkitd.toml')
    assert code == 0, out


def _delete_store_file(_client, node, store):
    os.unlink(os.path.join(store, 'instances', node[:-1]))


def _squat(client, node, _store):
    client.api.remove_container('buildx_buildkit_' + node, force=True)
    client.api.create_container(TEST_IMAGE, name='buildx_buildkit_' + node, command=['--debug'])


FAULTS = [
    ('container killed', _kill_container),
    ('buildkitd killed', _kill_buildkitd),
    ('config deleted', _delete_config),
    ('store file deleted', _delete_store_file),
    ('foreign container squats the name', _squat),
]


@pytest.mark.parametrize('label,inject', FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_is_repaired_by_the_next_run(ansible, builder, docker_client, buildx_config, label, inject):
    name = builder('robustfix')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, pull=False, bootstrap_timeout=30,
                driver_opts={'image': TEST_IMAGE, 'restart_policy': 'no'}, buildkitd_config_inline='debug = true\n')
    assert ansible('buildkit_builder', **args)['changed']
    inject(docker_client, node, buildx_config)
    predicted = ansible('buildkit_builder', check=True, **args)
    assert predicted['changed'] is True and not predicted['failed'], predicted
    done = ansible('buildkit_builder', **args)
    assert done['changed'] is True and not done['failed'], done
    assert ansible('buildkit_builder', **args)['changed'] is False
    real = container(docker_client, node)
    assert real['State']['Running'] and real['HostConfig']['Privileged']
    assert exec_in(docker_client, node, 'cat', '/etc/buildkit/buildkitd.toml') == (0, 'debug = true\n')
    assert 'instances/' + name in store_files(buildx_config)


def test_crashing_config_on_recreate_fails_clearly_then_recovers(ansible, builder, docker_client, buildx_config):
    name = builder('robustcrash')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE})
    assert ansible('buildkit_builder', **args)['changed']
    crash = ansible('buildkit_builder', bootstrap_timeout=5,
                    buildkitd_config_inline='[worker.oci]\n  enabled = false\n[worker.containerd]\n  enabled = false\n',
                    **args)
    assert crash['failed'] and 'did not answer within 5s' in crash['msg'], crash
    assert 'container log tail' in crash['msg']
    again = ansible('buildkit_builder', **args)
    assert again['changed'] and not again['failed'], again
    assert container(docker_client, node)['State']['Running']
    assert ansible('buildkit_builder', **args)['changed'] is False


def test_unreachable_daemon_fails_clearly_and_changes_nothing(ansible, builder, docker_client, buildx_config):
    name = builder('robustdown')
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                     docker_host='unix:///run/robust-no-such-dockerd.sock', driver_opts={'image': TEST_IMAGE})
    assert result['failed'] and 'unix:///run/robust-no-such-dockerd.sock' in result['msg'], result
    assert 'Traceback' not in result['_stdout']
    assert store_files(buildx_config) == []
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_container('buildx_buildkit_%s0' % name)

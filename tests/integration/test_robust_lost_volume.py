"""A state volume whose data directory was deleted on the daemon host (rm -rf …/_data, not only emptied):
the daemon can then neither read the container's files, nor create nor start a container on that volume
("error evaluating symlinks from mount source …_state/_data"). The next buildkit_builder run re-creates the
volume and the container and says so in its notes; check mode predicts a change (the removal of the volume
where reading the container's config meets the fault)."""
import os
import shutil

import pytest

from support import TEST_IMAGE, container

CONFIG = '[worker.oci]\n  gc = true\n'


def volume_of(docker_client, node):
    return docker_client.api.inspect_volume('buildx_buildkit_%s_state' % node)


@pytest.mark.parametrize('case', ['running-with-config', 'stopped-then-changed', 'running-then-changed'])
def test_deleted_volume_data_dir_is_recreated_with_the_builder(ansible, builder, docker_client, buildx_config, case):
    name = builder('lostvol')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE},
                bootstrap_timeout=30)
    if case == 'running-with-config':
        args['buildkitd_config_inline'] = CONFIG
    created = ansible('buildkit_builder', **args)
    assert created['changed'] and not created['failed'], created
    if case == 'stopped-then-changed':
        assert ansible('buildkit_builder', **dict(args, state='stopped'))['changed']
    if case.endswith('changed'):
        args['driver_opts'] = dict(args['driver_opts'], env={'LOSTVOL': '1'})
    before = container(docker_client, node)
    volume = volume_of(docker_client, node)
    shutil.rmtree(volume['Mountpoint'])  # the fault: the directory itself is gone, not only its content
    assert not os.path.exists(volume['Mountpoint'])

    predicted = ansible('buildkit_builder', check=True, **args)
    assert predicted['changed'] and not predicted['failed'], predicted
    if case == 'running-with-config':  # reading the config finds the fault; else only the create or start meets it
        assert 'remove volume buildx_buildkit_%s_state' % node in predicted['actions'], predicted['actions']
    done = ansible('buildkit_builder', **args)
    assert done['changed'] and not done['failed'], done
    assert any('had lost its data' in n and 'cache is gone' in n for n in done['notes']), done['notes']
    assert 'remove volume buildx_buildkit_%s_state' % node in done['actions'], done['actions']

    after = container(docker_client, node)
    assert after['Id'] != before['Id'] and after['State']['Running'], after['State']
    assert [m['Name'] for m in after['Mounts']] == [volume['Name']]
    assert os.path.isdir(volume_of(docker_client, node)['Mountpoint'])
    assert done['builder']['nodes'][0]['buildkit_version']
    again = ansible('buildkit_builder', **args)
    assert not again['changed'] and not again['failed'] and again['notes'] == [], again


def test_bootstrap_of_info_and_prune_names_the_lost_volume_and_the_repair(ansible, builder, docker_client, buildx_config):
    """info and prune start a stopped node the same way as buildkit_builder, but do not re-create it: they say
    which volume lost its data and that buildkit_builder repairs it; it does."""
    name = builder('lostboot')
    node = name + '0'
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE},
                bootstrap_timeout=30)
    assert ansible('buildkit_builder', **args)['changed']
    assert ansible('buildkit_builder', **dict(args, state='stopped'))['changed']
    volume = volume_of(docker_client, node)
    shutil.rmtree(volume['Mountpoint'])

    info = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config, bootstrap=True)
    assert not info['failed'], info
    error = info['builder']['nodes'][0]['error']
    assert volume['Name'] in error and 'lost its data directory' in error and 'buildkit_builder' in error, error
    pruned = ansible('buildkit_prune', name=name, buildx_config=buildx_config, bootstrap=True)
    assert pruned['failed'] and volume['Name'] in pruned['msg'] and 'buildkit_builder' in pruned['msg'], pruned
    assert container(docker_client, node)['State']['Running'] is False  # neither of them changed the node

    done = ansible('buildkit_builder', **args)
    assert done['changed'] and not done['failed'], done
    assert any('had lost its data' in n for n in done['notes']), done['notes']
    assert container(docker_client, node)['State']['Running'] and os.path.isdir(volume_of(docker_client, node)['Mountpoint'])
    info = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config)
    assert 'error' not in info['builder']['nodes'][0] or not info['builder']['nodes'][0]['error'], info

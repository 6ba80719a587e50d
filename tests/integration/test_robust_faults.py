"""Faults the builder module repairs (paused, corrupt store file, lost volume data) or refuses before any change."""
import os
import shutil

from support import TEST_IMAGE, buildx, container, store_files, volume_exists


def make(ansible, builder, buildx_config, prefix, **extra):
    name = builder(prefix)
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE}, **extra)
    created = ansible('buildkit_builder', **args)
    assert created['changed'] and not created['failed'], created
    return name, args


def converges(ansible, args):
    """Check mode predicts the change, the run makes it, the next run finds nothing to do."""
    predicted = ansible('buildkit_builder', check=True, **args)
    assert predicted['changed'] is True and not predicted['failed'], predicted
    done = ansible('buildkit_builder', **args)
    assert done['changed'] is True and not done['failed'], done
    again = ansible('buildkit_builder', **args)
    assert again['changed'] is False and not again['failed'], again
    return predicted, done


def test_paused_builder_is_unpaused(ansible, builder, docker_client, buildx_config):
    name, args = make(ansible, builder, buildx_config, 'robustpause')
    node = name + '0'
    docker_client.api.pause('buildx_buildkit_' + node)
    predicted, done = converges(ansible, dict(args, bootstrap_timeout=10))
    assert predicted['actions'] == ['unpause container buildx_buildkit_%s' % node]
    assert container(docker_client, node)['State']['Paused'] is False
    assert container(docker_client, node)['State']['Running']
    assert done['builder']['nodes'][0]['buildkit_version']


def test_corrupt_store_file_is_set_aside_and_rewritten(ansible, builder, docker_client, buildx_config):
    name, args = make(ansible, builder, buildx_config, 'robustjunk')
    node = name + '0'
    before_id = container(docker_client, node)['Id']
    entry = os.path.join(buildx_config, 'instances', name)
    garbage = b'\x00{not json at all'
    with open(entry, 'wb') as handle:
        handle.write(garbage)
    assert buildx(buildx_config, 'ls', check=False).returncode != 0  # the fault: buildx ls fails for every builder

    predicted, done = converges(ansible, args)
    assert open(entry, 'rb').read() != garbage
    aside = os.listdir(os.path.join(buildx_config, 'instances.corrupt'))
    assert len(aside) == 1 and aside[0].startswith(name + '.')
    with open(os.path.join(buildx_config, 'instances.corrupt', aside[0]), 'rb') as handle:
        assert handle.read() == garbage  # set aside, never deleted
    assert any('not valid JSON' in n and aside[0] in n for n in done['notes']), done['notes']
    assert container(docker_client, node)['Id'] == before_id  # the running container was kept
    assert name in buildx(buildx_config, 'ls').stdout

    with open(entry, 'wb') as handle:
        handle.write(garbage)
    removed = ansible('buildkit_builder', name=name, buildx_config=buildx_config, state='absent')
    assert removed['changed'] and not removed['failed'], removed
    assert container(docker_client, node) is None and store_files(buildx_config) == []
    assert len(os.listdir(os.path.join(buildx_config, 'instances.corrupt'))) == 2


def test_lost_volume_data_recreates_volume_and_container(ansible, builder, docker_client, buildx_config):
    name, args = make(ansible, builder, buildx_config, 'robustvol')
    node = name + '0'
    assert ansible('buildkit_builder', **dict(args, state='stopped'))['changed']
    mountpoint = docker_client.api.inspect_volume('buildx_buildkit_%s_state' % node)['Mountpoint']
    shutil.rmtree(mountpoint)

    _predicted, done = converges(ansible, args)
    assert any('cache is gone' in n for n in done['notes']), done['notes']
    real = container(docker_client, node)
    assert real['State']['Running'] and os.path.isdir(mountpoint)


def test_buildx_config_regular_file_is_refused_before_any_change(ansible, builder, docker_client, tmp_path):
    name = builder('robustfile')
    path = tmp_path / 'not-a-dir'
    path.write_text('x')
    result = ansible('buildkit_builder', name=name, buildx_config=str(path), pull=False,
                     driver_opts={'image': TEST_IMAGE})
    assert result['failed'] and 'buildx_config' in result['msg'] and str(path) in result['msg'], result
    assert container(docker_client, name + '0') is None and not volume_exists(docker_client, name + '0')
    assert path.read_text() == 'x'


def test_cpusets_the_daemon_cannot_give_name_the_option(ansible, builder, docker_client, buildx_config):
    ncpu = docker_client.info()['NCPU']
    for option, value in (('cpuset_cpus', str(ncpu + 3)), ('cpuset_cpus', '0-%d' % (ncpu + 60)),
                          ('cpuset_mems', '7')):
        name = builder('robustcpu')
        result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                         driver_opts={'image': TEST_IMAGE, option: value})
        assert result['failed'], result
        assert 'driver_opts.%s' % option in result['msg'] and "'%s'" % value in result['msg'], result['msg']
        assert container(docker_client, name + '0') is None and not volume_exists(docker_client, name + '0')
        assert store_files(buildx_config) == []

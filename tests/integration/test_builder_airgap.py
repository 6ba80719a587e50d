"""Air-gapped fleets: the BuildKit image from a docker save tarball or from a mirror registry."""
import os
import subprocess

import pytest

from support import TEST_IMAGE, container

REGISTRY = os.environ.get('BUILDKIT_FLEET_REGISTRY', '127.0.0.1:5000')


@pytest.fixture
def airgap_ref(docker_client, builder):
    ref = 'buildkit-fleet/airgap:%s' % builder('tag')
    yield ref
    for tag in (ref, '%s/%s' % (REGISTRY, ref)):
        try:
            docker_client.api.remove_image(tag)
        except Exception:  # already gone
            pass


def test_image_archive_is_loaded_and_verified(ansible, builder, docker_client, buildx_config, tmp_path, airgap_ref):
    repo, tag = airgap_ref.split(':')
    docker_client.api.tag(TEST_IMAGE, repo, tag)
    archive = tmp_path / 'buildkit.tar'
    subprocess.run('docker save %s -o %s' % (airgap_ref, archive), shell=True, check=True, timeout=300)
    docker_client.api.remove_image(airgap_ref)
    name = builder('tar')
    args = dict(name=name, buildx_config=buildx_config, image_archive=str(archive), driver_opts={'image': airgap_ref})
    predicted = ansible('buildkit_builder', check=True, **args)
    assert predicted['changed'] and 'get image %s' % airgap_ref in predicted['actions']
    created = ansible('buildkit_builder', **args)
    assert created['changed'] and any('loaded %s' % airgap_ref in n for n in created['notes']), created['notes']
    real = container(docker_client, name + '0')
    assert real['State']['Running'] and real['Image'] == docker_client.api.inspect_image(TEST_IMAGE)['Id']
    assert ansible('buildkit_builder', **args)['changed'] is False


def test_archive_without_the_image_fails_clearly(ansible, builder, docker_client, buildx_config, tmp_path):
    archive = tmp_path / 'other.tar'
    subprocess.run('docker save %s -o %s' % (TEST_IMAGE, archive), shell=True, check=True, timeout=300)
    name = builder('badtar')
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, image_archive=str(archive),
                     driver_opts={'image': 'buildkit-fleet/not-in-archive:1'})
    assert result['failed'] and 'image_archive' in result['msg'] and 'buildkit-fleet/not-in-archive:1' in result['msg']
    assert container(docker_client, name + '0') is None


def test_mirror_registry_supplies_the_image(ansible, builder, docker_client, buildx_config, airgap_ref):
    repo, tag = airgap_ref.split(':')
    mirrored = '%s/%s' % (REGISTRY, repo)
    docker_client.api.tag(TEST_IMAGE, mirrored, tag)
    for line in docker_client.api.push(mirrored, tag, stream=True, decode=True):
        assert 'error' not in line, line
    docker_client.api.remove_image('%s:%s' % (mirrored, tag))
    name = builder('mirror')
    args = dict(name=name, buildx_config=buildx_config, image_mirrors=[REGISTRY], driver_opts={'image': airgap_ref})
    created = ansible('buildkit_builder', **args)
    assert created['changed'] and any('from mirror' in n for n in created['notes']), created
    assert container(docker_client, name + '0')['Config']['Image'] == airgap_ref
    assert ansible('buildkit_builder', **args)['changed'] is False

"""buildkit_build failures: missing builder, failing step, platform without emulator; a stopped builder is booted."""
import os
import shutil

from build_support import BASE_IMAGE, BUSYBOX_DIR, context_dir, make_builder
from support import container


def test_missing_builder_points_at_buildkit_builder(ansible, buildx_config, tmp_path):
    result = ansible('buildkit_build', builder='nosuchbuilder', buildx_config=buildx_config,
                     context=str(context_dir(tmp_path, 'FROM scratch\n')))
    assert result['failed'] and 'buildkit.fleet.buildkit_builder' in result['msg'] and 'nosuchbuilder' in result['msg']


def test_failing_step_gives_step_and_log_tail(ansible, builder, buildx_config, tmp_path):
    name = make_builder(ansible, builder, buildx_config)
    dockerfile = 'FROM %s\nRUN echo fine > /ok\nRUN for i in $(seq 1 200); do echo "line $i"; done; exit 3\n' % BASE_IMAGE
    result = ansible('buildkit_build', builder=name, buildx_config=buildx_config,
                     context=str(context_dir(tmp_path, dockerfile)), outputs=[{'type': 'tar', 'dest': str(tmp_path / 'x.tar')}])
    assert result['failed'] and result['built'] is False
    assert result['failed_step'].startswith('[3/3] RUN for i in')
    assert result['log_tail'][-1] == 'line 200' and len(result['log_tail']) <= 15
    assert 'exit code: 3' in result['msg'] and 'line 200' in result['msg'] and 'line 100\n' not in result['msg']
    assert len(result['msg'].splitlines()) < 25
    assert result['steps']['executed'] >= 1 and not os.path.exists(str(tmp_path / 'x.tar.buildkit-fleet.json'))


def _foreign_elf(path):
    """The arm64 busybox with its ELF machine set to MIPS: no binfmt handler on this host runs it."""
    shutil.copy(os.path.join(BUSYBOX_DIR, 'bb-arm64'), path)
    with open(path, 'r+b') as handle:
        handle.seek(18)
        handle.write((8).to_bytes(2, 'little'))  # EM_MIPS


def test_platform_without_emulator_points_at_qemu(ansible, builder, buildx_config, tmp_path):
    name = make_builder(ansible, builder, buildx_config)
    ctx = context_dir(tmp_path, 'FROM scratch\nARG TARGETARCH\nCOPY bb-${TARGETARCH} /bin/busybox\n'
                                'RUN ["/bin/busybox", "true"]\n')
    _foreign_elf(str(ctx / 'bb-mips64le'))
    result = ansible('buildkit_build', builder=name, buildx_config=buildx_config, context=str(ctx),
                     platforms=['linux/mips64le'], build_timeout=120, outputs=[{'type': 'tar', 'dest': str(tmp_path / 'x.tar')}])
    assert result['failed'], result
    assert 'linux/mips64le' in result['msg'] and 'qemu role' in result['msg'] and 'no QEMU emulator' in result['msg']
    assert 'exec format error' in result['msg']


def test_stopped_builder_is_booted(ansible, builder, buildx_config, docker_client, tmp_path):
    name = make_builder(ansible, builder, buildx_config)
    node = name.lower() + '0'
    docker_client.api.stop(container(docker_client, node)['Id'], timeout=5)
    assert not container(docker_client, node)['State']['Running']
    result = ansible('buildkit_build', builder=name, buildx_config=buildx_config,
                     context=str(context_dir(tmp_path, 'FROM %s\nRUN echo ok > /ok\n' % BASE_IMAGE)),
                     outputs=[{'type': 'local', 'dest': str(tmp_path / 'out')}])
    assert result['built'], result
    assert container(docker_client, node)['State']['Running']
    with open(str(tmp_path / 'out' / 'ok')) as handle:
        assert handle.read() == 'ok\n'

"""Multi-node builders across two real dockerd daemons on this machine."""
import json
import os
import shutil
import subprocess

import docker
import pytest

from support import TEST_IMAGE, buildx, exec_in, remove_builder_traces, store_files

DOCKER2 = os.environ.get('BUILDKIT_FLEET_DOCKER2_HOST', 'unix:///run/buildkit-fleet/docker2.sock')
LOCAL = 'unix:///var/run/docker.sock'
BUSYBOX_DIR = os.environ.get('BUILDKIT_FLEET_BUSYBOX_DIR', '/var/cache/buildkit-fleet/busybox')


@pytest.fixture(scope='module')
def docker2():
    client = docker.DockerClient(base_url=DOCKER2, timeout=120)
    try:
        client.ping()
        client.images.get(TEST_IMAGE)
    except Exception as exc:  # the harness starts it: missing means the environment is broken
        pytest.fail('second dockerd at %s is not usable (run tests/harness/setup.sh): %s' % (DOCKER2, exc))
    return client


@pytest.fixture
def two_node(builder, docker_client, docker2, buildx_config):
    name = builder('multi')
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE},
                nodes=[{'name': name + 'amd', 'endpoint': LOCAL, 'platforms': ['linux/amd64']},
                       {'name': name + 'arm', 'endpoint': DOCKER2, 'platforms': ['linux/arm64/v8'],
                        'driver_opts': {'memory': '768m'}}])
    yield name, args
    remove_builder_traces(docker2, name + 'arm')
    remove_builder_traces(docker_client, name + 'amd')


def inspect(client, node):
    try:
        return client.api.inspect_container('buildx_buildkit_' + node)
    except docker.errors.NotFound:
        return None


def test_two_node_builder_created_repaired_and_shrunk(ansible, two_node, docker_client, docker2, buildx_config):
    name, args = two_node
    assert ansible('buildkit_builder', check=True, **args)['changed'] is True
    assert inspect(docker_client, name + 'amd') is None and inspect(docker2, name + 'arm') is None

    created = ansible('buildkit_builder', **args)
    assert created['changed'], created
    amd, arm = inspect(docker_client, name + 'amd'), inspect(docker2, name + 'arm')
    assert amd['State']['Running'] and arm['State']['Running']
    assert arm['HostConfig']['Memory'] == 768 << 20 and amd['HostConfig']['Memory'] == 0
    with open(os.path.join(buildx_config, 'instances', name)) as handle:
        nodes = json.load(handle)['Nodes']
    assert [(n['Name'], n['Endpoint'], n['Platforms']) for n in nodes] == [
        (name + 'amd', LOCAL, [{'architecture': 'amd64', 'os': 'linux'}]),
        (name + 'arm', DOCKER2, [{'architecture': 'arm64', 'os': 'linux'}])]
    assert nodes[1]['DriverOpts'] == {'image': TEST_IMAGE, 'memory': '768m'}
    listed = [json.loads(line) for line in buildx(buildx_config, 'ls', '--format', 'json').stdout.splitlines()]
    entry = [b for b in listed if b['Name'] == name][0]
    assert [(n['Name'], n['Status']) for n in entry['Nodes']] == [(name + 'amd', 'running'), (name + 'arm', 'running')]
    assert ansible('buildkit_builder', **args)['changed'] is False

    # break the remote node: it is re-created, its cache volume kept
    assert docker2.containers.get('buildx_buildkit_%sarm' % name).exec_run(
        ['sh', '-c', 'echo cache > /var/lib/buildkit/fleet-marker']).exit_code == 0
    docker2.api.remove_container('buildx_buildkit_%sarm' % name, force=True)
    assert ansible('buildkit_builder', check=True, **args)['changed'] is True
    repaired = ansible('buildkit_builder', **args)
    assert repaired['changed'] and inspect(docker2, name + 'arm')['State']['Running']
    assert inspect(docker_client, name + 'amd')['Id'] == amd['Id']
    marker = docker2.containers.get('buildx_buildkit_%sarm' % name).exec_run(['cat', '/var/lib/buildkit/fleet-marker'])
    assert marker.output == b'cache\n'

    # shrink to one node: the other is removed with its volume and store entry
    args['nodes'] = args['nodes'][:1]
    assert ansible('buildkit_builder', check=True, **args)['changed'] is True
    assert inspect(docker2, name + 'arm') is not None
    shrunk = ansible('buildkit_builder', **args)
    assert shrunk['changed'] and inspect(docker2, name + 'arm') is None
    assert not [v for v in docker2.volumes.list() if v.name == 'buildx_buildkit_%sarm_state' % name]
    with open(os.path.join(buildx_config, 'instances', name)) as handle:
        assert [n['Name'] for n in json.load(handle)['Nodes']] == [name + 'amd']
    assert ansible('buildkit_builder', **args)['changed'] is False


def test_build_routes_each_platform_to_its_node(ansible, two_node, docker_client, docker2, buildx_config, tmp_path):
    name, args = two_node
    ansible('buildkit_builder', **args)
    context = tmp_path / 'ctx'
    context.mkdir()
    for arch in ('amd64', 'arm64'):
        shutil.copy(os.path.join(BUSYBOX_DIR, 'bb-' + arch), str(context / ('bb-' + arch)))
    (context / 'Dockerfile').write_text(
        'FROM scratch\nARG TARGETARCH\nCOPY bb-${TARGETARCH} /bin/busybox\n'
        'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox uname -m > /arch-%s"]\n' % name)
    out = tmp_path / 'out'
    buildx(buildx_config, 'build', '--builder', name, '--platform', 'linux/amd64,linux/arm64',
           '--output', 'type=local,dest=%s' % out, str(context), timeout=600)
    assert (out / 'linux_amd64' / ('arch-' + name)).read_text() == 'x86_64\n'
    assert (out / 'linux_arm64' / ('arch-' + name)).read_text() == 'aarch64\n'
    local_du = exec_in(docker_client, name + 'amd', 'buildctl', 'du', '--verbose')[1]
    remote = docker2.containers.get('buildx_buildkit_%sarm' % name).exec_run(['buildctl', 'du', '--verbose'])
    remote_du = remote.output.decode()
    assert 'linux/amd64' in local_du and 'linux/arm64' not in local_du
    assert 'linux/arm64' in remote_du and 'linux/amd64' not in remote_du


def test_unreachable_endpoint_names_the_node_and_writes_nothing(ansible, builder, docker_client, buildx_config):
    name = builder('unreach')
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                     driver_opts={'image': TEST_IMAGE},
                     nodes=[{'name': name + 'ok', 'endpoint': LOCAL},
                            {'name': name + 'gone', 'endpoint': 'unix:///run/buildkit-fleet/no-such.sock'}])
    assert result['failed'] and 'node %sgone' % name in result['msg'] and 'no-such.sock' in result['msg']
    assert inspect(docker_client, name + 'ok') is None
    assert store_files(buildx_config) == []


def test_same_platform_on_two_nodes_is_refused(ansible, builder, buildx_config):
    name = builder('dup')
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config,
                     nodes=[{'endpoint': LOCAL, 'platforms': ['linux/arm64']},
                            {'endpoint': DOCKER2, 'platforms': ['linux/arm64/v8']}])
    assert result['failed'] and "platform 'linux/arm64'" in result['msg']
    assert store_files(buildx_config) == []


def test_node_endpoint_may_be_a_docker_context(ansible, builder, docker2, buildx_config, tmp_path, monkeypatch):
    monkeypatch.setenv('DOCKER_CONFIG', str(tmp_path / 'docker-config'))
    subprocess.run(['docker', 'context', 'create', 'fleet-d2', '--docker', 'host=' + DOCKER2], check=True,
                   capture_output=True, timeout=60)
    name = builder('ctx')
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE},
                nodes=[{'name': name + 'remote', 'endpoint': 'fleet-d2', 'platforms': ['linux/arm64']}])
    try:
        assert ansible('buildkit_builder', **args)['changed']
        assert inspect(docker2, name + 'remote')['State']['Running']
        with open(os.path.join(buildx_config, 'instances', name)) as handle:
            assert json.load(handle)['Nodes'][0]['Endpoint'] == 'fleet-d2'
        listed = buildx(buildx_config, 'inspect', name).stdout
        assert 'fleet-d2' in listed and 'running' in listed
        assert ansible('buildkit_builder', **args)['changed'] is False
    finally:
        remove_builder_traces(docker2, name + 'remote')

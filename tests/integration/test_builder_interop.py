"""buildx and the module see each other's builders."""
import json
import os

from support import TEST_IMAGE, buildx, container


def test_module_builder_is_used_by_buildx(ansible, builder, docker_client, buildx_config, tmp_path):
    name = builder('mod')
    ansible('buildkit_builder', name=name, buildx_config=buildx_config, platforms=['linux/amd64'],
            driver_opts={'image': TEST_IMAGE, 'memory': '1g'})
    listed = [json.loads(line) for line in buildx(buildx_config, 'ls', '--format', 'json').stdout.splitlines()]
    entry = [b for b in listed if b['Name'] == name][0]
    assert entry['Driver'] == 'docker-container' and entry['Nodes'][0]['Status'] == 'running'
    inspect = buildx(buildx_config, 'inspect', name).stdout
    assert 'memory="1g"' in inspect and 'Status:' in inspect and 'running' in inspect

    context = tmp_path / 'ctx'
    context.mkdir()
    (context / 'hello.txt').write_text('hello from buildkit.fleet\n')
    (context / 'Dockerfile').write_text('FROM scratch\nCOPY hello.txt /hello.txt\n')
    out = tmp_path / 'out'
    buildx(buildx_config, 'build', '--builder', name, '--output', 'type=local,dest=%s' % out, str(context))
    assert (out / 'hello.txt').read_text() == 'hello from buildkit.fleet\n'


def test_buildx_made_builder_is_adopted_unchanged(ansible, builder, docker_client, buildx_config, tmp_path):
    name = builder('bx')
    config = tmp_path / 'buildkitd.toml'
    config.write_text('debug = true\n[worker.oci]\n  max-parallelism = 2\n')
    buildx(buildx_config, 'create', '--name', name, '--driver', 'docker-container', '--bootstrap',
           '--driver-opt', 'image=%s,memory=1g,restart-policy=always' % TEST_IMAGE,
           '--buildkitd-flags', '--debug', '--buildkitd-config', str(config), '--platform', 'linux/amd64')
    made = container(docker_client, name + '0')
    args = dict(name=name, buildx_config=buildx_config, pull=False, buildkitd_config=str(config),
                buildkitd_flags=['--debug'], platforms=['linux/amd64'],
                driver_opts={'image': TEST_IMAGE, 'memory': '1024MiB', 'restart_policy': 'always'})
    assert ansible('buildkit_builder', check=True, **args)['changed'] is False
    adopted = ansible('buildkit_builder', **args)
    assert adopted['changed'] is False, adopted['differences']
    assert container(docker_client, name + '0')['Id'] == made['Id']
    buildx(buildx_config, 'rm', name)
    assert container(docker_client, name + '0') is None
    assert not os.path.exists(os.path.join(buildx_config, 'instances', name))

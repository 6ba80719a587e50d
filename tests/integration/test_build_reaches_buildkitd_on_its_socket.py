"""A build (and a bake) on a running builder of the local daemon reaches buildkitd on its own socket: no
`docker exec` in the node (buildx's route is `docker exec buildctl dial-stdio` for every build), the same image
loaded into Docker as buildx loads, and the same build record on the node. A stopped node is booted by buildx's
own route, as before.
The execs are counted in the real daemon's event stream."""
import os

from build_support import context_dir, images_removed_after
from support import TEST_IMAGE, buildx, execs_during

DOCKERFILE = '''FROM scratch
COPY bb-amd64 /bin/busybox
COPY app/ /app/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cat /app/* | /bin/busybox sha256sum > /app.sum"]
'''


def history_refs(buildx_config, name):
    proc = buildx(buildx_config, 'history', 'ls', '--builder', name, '--format', '{{.Ref}}')
    return set(line.strip() for line in proc.stdout.splitlines() if line.strip())


def test_a_build_asks_no_exec_and_loads_the_image_it_built(ansible, builder, buildx_config, docker_client,
                                                           tmp_path, request):
    name = builder('sock')
    made = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                   driver_opts={'image': TEST_IMAGE})
    assert made['changed'] and not made['failed'], made
    ctx = context_dir(tmp_path, DOCKERFILE, {'app/a.txt': 'one\n'}, busyboxes=('amd64',))
    tag = 'bkf-sock-%s:1' % name
    images_removed_after(request, docker_client).append(tag)
    args = dict(builder=name, buildx_config=buildx_config, context=str(ctx), tags=[tag], outputs=[{'type': 'load'}])

    predicted = ansible('buildkit_build', check=True, **args)
    assert predicted['changed'] and 'route' not in predicted['placement']  # check mode builds nothing
    before = history_refs(buildx_config, name)
    activity = os.path.join(buildx_config, 'activity', name)
    os.unlink(activity)
    built, execs = execs_during(docker_client, name + '0', lambda: ansible('buildkit_build', **args))
    assert built['built'] and not built['failed'], built
    assert execs == 0, 'the build ran %d docker exec(s) in the node' % execs
    assert built['placement']['route'] == 'buildkitd socket'
    assert docker_client.images.get(tag).id == built['image_id']  # loaded into the local daemon
    new = history_refs(buildx_config, name) - before
    assert len(new) == 1 and built['metadata']['buildx.build.ref'].endswith('/' + new.pop())  # on this node
    assert os.path.isfile(activity)  # the builder's last activity, as buildx marks it
    assert ansible('buildkit_build', **args)['changed'] is False

    # a stopped node: buildx's route boots it, as plain buildx does
    docker_client.api.stop('buildx_buildkit_%s0' % name)
    (ctx / 'app' / 'a.txt').write_text('two\n')
    again, execs = execs_during(docker_client, name + '0', lambda: ansible('buildkit_build', **args))
    assert again['built'] and not again['failed'], again
    assert again['placement']['route'] == 'buildx' and execs >= 1
    assert docker_client.api.inspect_container('buildx_buildkit_%s0' % name)['State']['Running'] is True
    assert again['steps']['executed'] >= 1 and again['steps']['cached'] >= 1  # the cache volume was kept
    assert docker_client.images.get(tag).id == again['image_id']

    (ctx / 'app' / 'a.txt').write_text('three\n')  # running again: the socket
    third, execs = execs_during(docker_client, name + '0', lambda: ansible('buildkit_build', **args))
    assert third['built'] and third['placement']['route'] == 'buildkitd socket' and execs == 0, third


BAKE_FILE = '''target "default" {
  context = "."
  tags = ["%s"]
  output = ["type=docker"]
}
'''


def test_a_bake_asks_no_exec_either(ansible, builder, buildx_config, docker_client, tmp_path, request):
    name = builder('sockb')
    made = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                   driver_opts={'image': TEST_IMAGE})
    assert made['changed'] and not made['failed'], made
    tag = 'bkf-sockb-%s:1' % name
    images_removed_after(request, docker_client).append(tag)
    ctx = context_dir(tmp_path, DOCKERFILE, {'app/a.txt': 'one\n', 'docker-bake.hcl': BAKE_FILE % tag},
                      busyboxes=('amd64',))
    args = dict(builder=name, buildx_config=buildx_config, working_dir=str(ctx), files=['docker-bake.hcl'])
    baked, execs = execs_during(docker_client, name + '0', lambda: ansible('buildkit_bake', **args))
    assert baked['changed'] and not baked['failed'], baked
    assert execs == 0, 'the bake ran %d docker exec(s) in the node' % execs
    assert docker_client.images.get(tag).id  # loaded into the local daemon

    docker_client.api.stop('buildx_buildkit_%s0' % name)  # stopped: buildx's route boots it
    (ctx / 'app' / 'a.txt').write_text('two\n')
    again, execs = execs_during(docker_client, name + '0', lambda: ansible('buildkit_bake', **args))
    assert again['changed'] and not again['failed'], again
    assert execs >= 1 and docker_client.api.inspect_container('buildx_buildkit_%s0' % name)['State']['Running']

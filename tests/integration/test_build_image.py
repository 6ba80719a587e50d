"""buildkit_build: load + run, image config, idempotence and what triggers a rebuild (real builder and daemon)."""
import json
import os
import subprocess
import time

from build_support import images_removed_after, BASE_IMAGE, REGISTRY, context_dir, image_config, make_builder, manifest, unique

DOCKERFILE = '''FROM %s AS base
ARG MSG=default
RUN echo "hello from $MSG" > /hello
FROM base AS final
LABEL stage=final
CMD ["cat", "/hello"]
FROM base AS other
LABEL stage=other
''' % BASE_IMAGE


def test_load_then_run_prints_what_the_dockerfile_wrote(ansible, builder, buildx_config, docker_client, tmp_path, request):
    name = make_builder(ansible, builder, buildx_config)
    removed = images_removed_after(request, docker_client)
    tag = 'bkf-test/%s:1' % unique('load')
    removed.append(tag)
    args = dict(builder=name, buildx_config=buildx_config, context=str(context_dir(tmp_path, DOCKERFILE)),
                build_args={'MSG': 'ansible'}, target='final', tags=[tag], outputs=[{'type': 'load'}])

    predicted = ansible('buildkit_build', check=True, diff=True, **args)
    assert predicted['changed'] is True and predicted['built'] is False, predicted
    assert 'not in Docker' in predicted['reason']
    assert not docker_client.images.list(name=tag)

    built = ansible('buildkit_build', **args)
    assert built['changed'] is True and built['built'] is True, built
    out = docker_client.containers.run(tag, remove=True)
    assert out == b'hello from ansible\n'
    image = docker_client.api.inspect_image(tag)
    assert image['Config']['Labels']['buildkit.fleet.fingerprint'] == built['fingerprint']
    assert built['image_id'] == image['Id']
    assert built['steps']['total'] >= 1 and built['steps']['executed'] >= 1
    assert built['metadata']['image.name'] == 'docker.io/' + tag and built['digest'].startswith('sha256:')
    # the docker-buildx plugin the docker CLI runs for `docker buildx`, run directly (no CLI start-up before it)
    plugins = json.loads(subprocess.run(['docker', 'info', '--format', '{{json .ClientInfo.Plugins}}'], check=True,
                                        capture_output=True, text=True, timeout=60).stdout)
    assert built['command'][:3] == [next(p['Path'] for p in plugins if p['Name'] == 'buildx'), 'build', '--builder']

    assert ansible('buildkit_build', check=True, **args)['changed'] is False
    again = ansible('buildkit_build', **args)
    assert again['changed'] is False and again['built'] is False, again
    assert 'matches' in again['skipped_reason'] and again['image_id'] == image['Id']
    assert docker_client.api.inspect_image(tag)['Id'] == image['Id']


def test_args_target_labels_annotations_in_the_image_config(ansible, builder, buildx_config, tmp_path):
    name = make_builder(ansible, builder, buildx_config)
    repo = 'bkf-test/%s' % unique('cfg')
    args = dict(builder=name, buildx_config=buildx_config, context=str(context_dir(tmp_path, DOCKERFILE)),
                build_args={'MSG': 'argvalue'}, target='other', tags=['%s/%s:1' % (REGISTRY, repo)],
                labels={'org.example.team': 'fleet'}, provenance='false',
                annotations={'manifest:org.opencontainers.image.title': 'fleet-title'}, outputs=[{'type': 'push'}])
    assert ansible('buildkit_build', check=True, **args)['changed'] is True
    assert manifest(repo, '1') is None
    built = ansible('buildkit_build', **args)
    assert built['built'], built
    configs = image_config(repo, '1')
    config = list(configs.values())[0]['config']
    assert config['Labels']['stage'] == 'other'  # the target stage, not the last one
    assert config['Labels']['org.example.team'] == 'fleet'
    assert config['Labels']['buildkit.fleet.fingerprint'] == built['fingerprint']
    man = manifest(repo, '1')
    if man.get('manifests'):
        man = manifest(repo, man['manifests'][0]['digest'])
    assert man['annotations']['org.opencontainers.image.title'] == 'fleet-title'
    history = ' '.join(h.get('created_by', '') for h in list(configs.values())[0]['history'])
    assert 'MSG=argvalue' in history  # the build arg reached the RUN step
    assert ansible('buildkit_build', **args)['changed'] is False


def test_touch_arg_and_dockerignored_edit(ansible, builder, buildx_config, tmp_path):
    """Editing a file rebuilds, changing an arg rebuilds, editing a .dockerignore'd file skips; check mode predicts."""
    name = make_builder(ansible, builder, buildx_config)
    dockerfile = 'FROM %s\nARG V=1\nCOPY app/ /app/\nRUN cat /app/main.txt > /out-$V\n' % BASE_IMAGE
    files = {'app/main.txt': 'one', 'notes/todo.md': 'x', '.dockerignore': 'notes\n*.tmp\n'}
    ctx = context_dir(tmp_path, dockerfile, files=files)
    dest = str(tmp_path / 'out')
    args = dict(builder=name, buildx_config=buildx_config, context=str(ctx), build_args={'V': '1'},
                outputs=[{'type': 'local', 'dest': dest}])
    first = ansible('buildkit_build', **args)
    assert first['built'] and os.path.isfile(os.path.join(dest, 'out-1'))

    def step(expect_build, **overrides):
        run_args = dict(args, **overrides)
        predicted = ansible('buildkit_build', check=True, **run_args)
        assert predicted['changed'] is expect_build, predicted['reason']
        real = ansible('buildkit_build', **run_args)
        assert real['changed'] is expect_build and real['built'] is expect_build, real['reason']
        return real

    (ctx / 'app' / 'main.txt').write_text('two')  # edit a file
    step(True)
    with open(os.path.join(dest, 'out-1')) as handle:
        assert handle.read() == 'two'
    step(True, build_args={'V': '2'})  # change an arg
    assert os.path.isfile(os.path.join(dest, 'out-2'))
    (ctx / 'notes' / 'todo.md').write_text('edited')  # ignored files
    (ctx / 'scratch.tmp').write_text('new')
    step(False, build_args={'V': '2'})
    os.utime(str(ctx / 'app' / 'main.txt'), (time.time() + 100, time.time() + 100))  # mtime only
    step(False, build_args={'V': '2'})


def test_fingerprint_is_the_same_for_a_copy_with_other_umask_and_mtimes(ansible, builder, buildx_config, tmp_path):
    name = make_builder(ansible, builder, buildx_config)
    ctx = context_dir(tmp_path, 'FROM scratch\nCOPY . /\n', files={'a/b.txt': 'b', 'run.sh': '#!/bin/sh\n'})
    os.chmod(str(ctx / 'run.sh'), 0o755)
    copy = tmp_path / 'copy'
    subprocess.run(['sh', '-c', 'umask 002 && cp -r --no-preserve=mode "$0" "$1" && touch -d "2001-01-01" "$1"/a/b.txt && chmod a+x "$1"/run.sh',
                    str(ctx), str(copy)], check=True)
    assert os.stat(str(copy / 'a' / 'b.txt')).st_mode != os.stat(str(ctx / 'a' / 'b.txt')).st_mode
    common = dict(builder=name, buildx_config=buildx_config, outputs=[{'type': 'tar', 'dest': str(tmp_path / 'x.tar')}])
    one = ansible('buildkit_build', check=True, context=str(ctx), **common)
    two = ansible('buildkit_build', check=True, context=str(copy), **common)
    assert one['fingerprint'] == two['fingerprint']
    os.chmod(str(copy / 'run.sh'), 0o644)  # the exec bit counts
    assert ansible('buildkit_build', check=True, context=str(copy), **common)['fingerprint'] != one['fingerprint']

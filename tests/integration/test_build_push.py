"""buildkit_build: a five-platform push; the registry's index has every platform and each runs under QEMU."""
import subprocess

from build_support import images_removed_after, BASE_IMAGE, REGISTRY, context_dir, make_builder, manifest, unique

PLATFORMS = {'linux/amd64': 'x86_64', 'linux/arm64': 'aarch64', 'linux/ppc64le': 'ppc64le',
             'linux/s390x': 's390x', 'linux/arm/v7': 'armv7l'}


def test_push_five_platforms_each_runs(ansible, builder, buildx_config, tmp_path, request, docker_client):
    name = make_builder(ansible, builder, buildx_config)
    removed = images_removed_after(request, docker_client)
    repo = 'bkf-test/%s' % unique('multi')
    ref = '%s/%s:1' % (REGISTRY, repo)
    dockerfile = 'FROM %s\nRUN uname -m > /built-on\nCMD ["uname", "-m"]\n' % BASE_IMAGE
    args = dict(builder=name, buildx_config=buildx_config, context=str(context_dir(tmp_path, dockerfile)),
                platforms=list(PLATFORMS), tags=[ref], outputs=[{'type': 'push'}])

    predicted = ansible('buildkit_build', check=True, **args)
    assert predicted['changed'] is True and 'not in the registry' in predicted['reason']
    assert manifest(repo, '1') is None

    built = ansible('buildkit_build', **args)
    assert built['built'] is True, built
    index = manifest(repo, '1')
    pushed = {}
    for entry in index['manifests']:
        plat = entry['platform']
        if plat['os'] == 'unknown':
            continue  # attestation manifests
        pushed['/'.join([plat['os'], plat['architecture']] + ([plat['variant']] if plat.get('variant') else []))] = entry['digest']
    assert sorted(pushed) == sorted(PLATFORMS)
    assert built['platform_digests'] == pushed and built['digest'] == built['metadata']['containerimage.digest']
    assert built['steps']['total'] == 5 and built['steps']['executed'] == 5  # one RUN per platform

    for plat, machine in sorted(PLATFORMS.items()):
        image = '%s/%s@%s' % (REGISTRY, repo, pushed[plat])
        removed.append(image)
        proc = subprocess.run(['docker', 'run', '--rm', '--platform', plat, image, 'sh', '-c', 'uname -m; cat /built-on'],
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == [machine, machine], (plat, proc.stdout)

    assert ansible('buildkit_build', check=True, **args)['changed'] is False
    again = ansible('buildkit_build', **args)
    assert again['changed'] is False and 'matches' in again['skipped_reason'], again
    assert manifest(repo, '1') == index

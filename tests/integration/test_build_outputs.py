"""buildkit_build: local, tar and oci outputs in one build hold the right content and a record beside them."""
import json
import os
import tarfile

from build_support import BASE_IMAGE, context_dir, make_builder

DOCKERFILE = '''FROM %s AS build
RUN mkdir -p /out/sub && echo "made by $(uname -m)" > /out/made && echo deep > /out/sub/deep
FROM scratch
COPY --from=build /out/ /
''' % BASE_IMAGE


def test_local_tar_and_oci_outputs(ansible, builder, buildx_config, tmp_path):
    name = make_builder(ansible, builder, buildx_config)
    local, tar, oci = str(tmp_path / 'local'), str(tmp_path / 'fs.tar'), str(tmp_path / 'image.oci.tar')
    args = dict(builder=name, buildx_config=buildx_config, context=str(context_dir(tmp_path, DOCKERFILE)),
                platforms=['linux/amd64', 'linux/arm64'],
                outputs=[{'type': 'local', 'dest': local}, {'type': 'tar', 'dest': tar}, {'type': 'oci', 'dest': oci}])

    predicted = ansible('buildkit_build', check=True, diff=True, **args)
    assert predicted['changed'] is True and not any(os.path.exists(p) for p in (local, tar, oci))
    assert predicted['diff']['after']['fingerprint'] == predicted['fingerprint']

    built = ansible('buildkit_build', **args)
    assert built['built'], built
    with open(os.path.join(local, 'linux_arm64', 'made')) as handle:
        assert handle.read() == 'made by aarch64\n'
    with open(os.path.join(local, 'linux_amd64', 'sub', 'deep')) as handle:
        assert handle.read() == 'deep\n'
    with tarfile.open(tar) as archive:
        assert archive.extractfile('linux_arm64/made').read() == b'made by aarch64\n'
    with tarfile.open(oci) as archive:
        layout = json.loads(archive.extractfile('oci-layout').read())
        assert layout['imageLayoutVersion'] == '1.0.0'
        names = archive.getnames()
    assert 'index.json' in names
    assert sorted(built['platform_digests']) == ['linux/amd64', 'linux/arm64']
    for digest in built['platform_digests'].values():
        assert 'blobs/sha256/' + digest.split(':')[1] in names
    for dest in (local, tar, oci):
        with open(dest + '.buildkit-fleet.json') as handle:
            assert json.load(handle)['fingerprint'] == built['fingerprint']
    assert sorted(built['records']) == sorted(d + '.buildkit-fleet.json' for d in (local, tar, oci))

    assert ansible('buildkit_build', check=True, **args)['changed'] is False
    again = ansible('buildkit_build', **args)
    assert again['changed'] is False and again['platform_digests'] == built['platform_digests'], again

    os.unlink(tar)  # a missing output is rebuilt, even with the same inputs
    predicted = ansible('buildkit_build', check=True, **args)
    assert predicted['changed'] is True and 'does not exist' in predicted['reason']
    assert ansible('buildkit_build', rebuild='missing', **args)['changed'] is True and os.path.isfile(tar)

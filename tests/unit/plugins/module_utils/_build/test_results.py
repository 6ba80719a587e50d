"""Results from --progress rawjson and --metadata-file; failure and emulator messages; output records."""
import base64
import io
import json
import os
import tarfile

from ansible_collections.buildkit.fleet.plugins.module_utils._build import outputs as o
from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as r


def event(**kw):
    return json.dumps(kw)


def b64(text):
    return base64.b64encode(text.encode()).decode()


STREAM = '\n'.join([
    event(vertexes=[{'digest': 'd1', 'name': '[internal] load build definition from Dockerfile'}]),
    event(vertexes=[{'digest': 'd1', 'name': '[internal] load build definition from Dockerfile',
                     'started': 't', 'completed': 't'}]),
    event(vertexes=[{'digest': 'd2', 'name': '[linux/amd64 base 1/2] COPY bb /bin/busybox', 'cached': True,
                     'started': 't', 'completed': 't'}]),
    event(vertexes=[{'digest': 'd0', 'name': '[1/3] FROM r/base@sha256:x', 'started': 't', 'completed': 't'}]),
    event(vertexes=[{'digest': 'd3', 'name': '[stage-1 2/3] RUN make', 'started': 't'}]),
    event(logs=[{'vertex': 'd3', 'stream': 1, 'data': b64('line %d\n' % i)} for i in range(30)]),
    event(vertexes=[{'digest': 'd3', 'name': '[stage-1 2/3] RUN make', 'started': 't', 'completed': 't',
                     'error': 'process "/bin/sh -c make" did not complete successfully: exit code: 2'}]),
    event(vertexes=[{'digest': 'd4', 'name': '[3/3] COPY x y', 'completed': 't',
                     'error': 'context canceled'}]),
    event(warnings=[{'vertex': 'd3', 'short': b64('FromAsCasing: bad case')}]),
    'Dockerfile:7',
    'ERROR: failed to build: failed to solve: process "/bin/sh -c make" did not complete successfully',
])


def test_parse_and_count():
    progress = r.parse_progress(STREAM)
    assert [v['digest'] for v in progress['vertices']] == ['d1', 'd2', 'd0', 'd3', 'd4']
    assert r.step_counts(progress) == {'total': 3, 'cached': 1, 'executed': 2, 'pulled': 1}
    assert progress['warnings'] == ['FromAsCasing: bad case']
    assert progress['text'][0] == 'Dockerfile:7'


def test_failure_names_step_and_tail():
    step, error, log_tail = r.failure(r.parse_progress(STREAM))
    assert step == '[stage-1 2/3] RUN make' and 'exit code: 2' in error
    assert log_tail == ['line %d' % i for i in range(15, 30)]
    msg = r.failure_message(step, error, log_tail)
    assert msg.startswith("build failed at step '[stage-1 2/3] RUN make'") and 'line 29' in msg and 'line 14' not in msg


def test_failure_without_vertex_uses_error_line():
    step, error, _tail = r.failure(r.parse_progress('ERROR: no builder "x" found\n'))
    assert step is None and error == 'ERROR: no builder "x" found'


def test_emulators():
    supported = ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/arm/v7']
    assert r.missing_emulators(['linux/arm64', 'linux/mips64le', 'linux/amd64'], supported, 'linux/amd64') == ['linux/mips64le']
    assert r.missing_emulators(['linux/mips64le'], [], 'linux/amd64') == []
    assert 'qemu role' in r.emulator_message('b', ['linux/mips64le'], supported)
    assert r.looks_like_emulation('exec /bin/sh: exec format error', [])


def test_metadata_summary():
    meta = r.load_metadata(json.dumps({'containerimage.config.digest': 'sha256:c', 'containerimage.digest': 'sha256:d',
                                       'image.name': 'a:1,b:2'}))
    assert r.summarize_metadata(meta) == {'image_id': 'sha256:c', 'digest': 'sha256:d', 'names': ['a:1', 'b:2']}
    assert r.load_metadata('') == {} and r.load_metadata('[1]') == {} and r.load_metadata('{bad') == {}


INDEX = {'manifests': [
    {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': 'sha256:a',
     'platform': {'os': 'linux', 'architecture': 'arm', 'variant': 'v7'}},
    {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': 'sha256:att',
     'platform': {'os': 'unknown', 'architecture': 'unknown'},
     'annotations': {'vnd.docker.reference.type': 'attestation-manifest'}},
    {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': 'sha256:b',
     'platform': {'os': 'linux', 'architecture': 'amd64'}}]}


def test_platform_digests_skip_attestations():
    assert r.platform_digests(INDEX) == {'linux/arm/v7': 'sha256:a', 'linux/amd64': 'sha256:b'}


def test_oci_tarball_nested_index(tmp_path):
    path = str(tmp_path / 'x.tar')
    top = {'manifests': [{'mediaType': 'application/vnd.oci.image.index.v1+json', 'digest': 'sha256:ii'}]}
    with tarfile.open(path, 'w') as archive:
        for name, data in (('index.json', top), ('blobs/sha256/ii', INDEX)):
            raw = json.dumps(data).encode()
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
    assert o.oci_platform_digests(path) == {'linux/arm/v7': 'sha256:a', 'linux/amd64': 'sha256:b'}
    assert o.oci_platform_digests(str(tmp_path / 'missing.tar')) == {}


def test_file_records(tmp_path):
    dest = str(tmp_path / 'out.tar')
    out = {'type': 'tar', 'dest': dest}
    assert 'does not exist' in o.check_file(out, 'sha256:f')[0]
    with open(dest, 'wb') as handle:
        handle.write(b'x' * 10)
    assert 'has no record' in o.check_file(out, 'sha256:f')[0]
    path = o.write_record(out, 'sha256:f', {'image_id': 'sha256:i', 'digest': None})
    assert path == dest + '.buildkit-fleet.json' and os.path.isfile(path)
    assert o.check_file(out, 'sha256:f')[0] is None
    assert 'other inputs' in o.check_file(out, 'sha256:g')[0]
    with open(dest, 'ab') as handle:
        handle.write(b'y')
    assert 'changed since' in o.check_file(out, 'sha256:f')[0]


def test_label_checks():
    images = {'a:1': {'Id': 'sha256:i', 'Config': {'Labels': {o.FINGERPRINT_LABEL: 'sha256:f'}}}}
    assert o.check_load(images.get, ['a:1'], 'sha256:f') == (None, 'sha256:i')
    assert 'not in Docker' in o.check_load(images.get, ['a:1', 'a:2'], 'sha256:f')[0]
    assert 'other inputs' in o.check_load(images.get, ['a:1'], 'sha256:g')[0]
    assert 'without tags' in o.check_load(images.get, [], 'sha256:f')[0]
    conf = {'config': {'Labels': {o.FINGERPRINT_LABEL: 'sha256:f'}}}
    remote = {'r/a:1': {'linux/amd64': conf, 'linux/arm64': conf}}
    assert o.check_push(remote.get, ['r/a:1'], 'sha256:f', ['linux/amd64']) == (None, ['linux/amd64', 'linux/arm64'])
    assert 'lacks platform' in o.check_push(remote.get, ['r/a:1'], 'sha256:f', ['linux/s390x'])[0]
    assert 'not in the registry' in o.check_push(remote.get, ['r/b:1'], 'sha256:f', [])[0]
    assert o.image_configs({'architecture': 'arm64', 'os': 'linux', 'config': {}}) == \
        {'linux/arm64': {'architecture': 'arm64', 'os': 'linux', 'config': {}}}

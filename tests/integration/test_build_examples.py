"""buildkit_build's documented examples do what their names say, run as pasted (names and paths substituted)."""
import ast
import hashlib
import json
import os
import subprocess
import sys
import tarfile

import yaml

from build_support import BASE_IMAGE, images_removed_after, make_builder, unique

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = os.path.join(REPO, 'plugins', 'modules', 'buildkit_build.py')
DOCKERFILE = '''FROM %s
RUN --mount=type=secret,id=npmrc sh -c 'sha256sum /run/secrets/npmrc | cut -c1-64 > /npmrc.sha256'
''' % BASE_IMAGE


def example_task(name):
    """The EXAMPLES task of the module with this name, as documented."""
    with open(MODULE) as handle:
        tree = ast.parse(handle.read())
    text = next(node.value.value for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == 'EXAMPLES')
    found = [task for task in yaml.safe_load(text) if task['name'] == name]
    assert len(found) == 1, 'no single example named %r' % name
    return found[0]


def substituted(value, names):
    """The example with its builder, paths and image names replaced, as a user who pastes it would."""
    if isinstance(value, dict):
        return dict((k, substituted(v, names)) for k, v in value.items())
    if isinstance(value, list):
        return [substituted(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def run_play(tmp_path, buildx_config, tasks, extra_vars):
    playbook = tmp_path / unique('play')
    playbook.write_text(yaml.safe_dump([{'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
                                         'vars': dict(extra_vars, ansible_python_interpreter=sys.executable),
                                         'tasks': tasks}]))
    env = dict(os.environ, BUILDX_CONFIG=buildx_config, ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_NOCOLOR='1',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='0', ANSIBLE_STDOUT_CALLBACK='json')
    proc = subprocess.run(['ansible-playbook', '-i', 'localhost,', str(playbook)], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout[proc.stdout.index('{'):])


def oci_platforms(path):
    """The platforms of the image manifests of an OCI layout tarball (through nested indexes)."""
    with tarfile.open(path) as archive:
        layout = json.loads(archive.extractfile('oci-layout').read())
        assert layout['imageLayoutVersion'] == '1.0.0'

        def blob(digest):
            return json.loads(archive.extractfile('blobs/sha256/' + digest.split(':')[1]).read())
        found, pending = [], list(json.loads(archive.extractfile('index.json').read())['manifests'])
        while pending:
            entry = pending.pop()
            if entry['mediaType'].endswith('image.index.v1+json'):
                pending.extend(blob(entry['digest'])['manifests'])
            elif entry.get('platform') and entry['platform'].get('os') != 'unknown':  # not an attestation
                platform = entry['platform']
                found.append('/'.join([platform['os'], platform['architecture']] +
                                      ([platform['variant']] if platform.get('variant') else [])))
    return sorted(found)


def test_native_image_into_docker_every_platform_into_an_oci_tarball(ansible, builder, buildx_config, tmp_path,
                                                                     request, docker_client):
    task = example_task('Native image into Docker, every platform into an OCI tarball, with a secret')
    name = make_builder(ansible, builder, buildx_config, prefix='example')
    app = tmp_path / 'app'
    app.mkdir()
    (app / 'docker').mkdir()
    (app / 'docker' / 'Dockerfile').write_text(DOCKERFILE)
    tag = 'buildkit-fleet-example/%s:dev' % unique('app')
    images_removed_after(request, docker_client).append(tag)
    tarball = str(tmp_path / 'artifacts' / 'app.oci.tar')
    os.makedirs(os.path.dirname(tarball))
    task = substituted(task, {'ci': name, '/srv/app': str(app), 'app:dev': tag, '/srv/artifacts/app.oci.tar': tarball})
    token = unique('npm-token-')

    play = run_play(tmp_path, buildx_config, [dict(task, register='example')], {'vault_npm_token': token})
    results = play['plays'][0]['tasks'][0]['hosts']['localhost']['results']
    assert [r['built'] for r in results] == [True, True], results
    assert token not in json.dumps(play)

    # every platform into an OCI tarball
    assert os.path.isfile(tarball)
    assert oci_platforms(tarball) == ['linux/amd64', 'linux/arm64']
    assert sorted(results[1]['platform_digests']) == ['linux/amd64', 'linux/arm64']
    # the native image into Docker, built with the secret
    image = docker_client.api.inspect_image(tag)
    assert image['Config']['Labels']['buildkit.fleet.fingerprint'] == results[0]['fingerprint']
    assert image['Architecture'] == docker_client.info()['Architecture'].replace('x86_64', 'amd64').replace('aarch64', 'arm64')
    out = docker_client.containers.run(tag, ['cat', '/npmrc.sha256'], remove=True)
    assert out.decode().strip() == hashlib.sha256(token.encode()).hexdigest()

    again = run_play(tmp_path, buildx_config, [task], {'vault_npm_token': token})
    assert [r['changed'] for r in again['plays'][0]['tasks'][0]['hosts']['localhost']['results']] == [False, False]

"""buildkit_bake's pure parts: bake argv, option checks, outputs of a resolved target, per-target results."""
import json

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import command as c
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import results as r
from ansible_collections.buildkit.fleet.plugins.module_utils._bake.registry import split_ref

PARAMS = {'builder': 'ci', 'working_dir': '/srv/app', 'files': ['docker-bake.hcl', '/etc/extra.hcl'],
          'targets': ['web'], 'set': ['web.args.X=1'], 'variables': {'TAG': 2, 'ON': True}, 'push': True,
          'load': False, 'no_cache': True, 'pull': False, 'provenance': 'mode=max', 'sbom': None,
          'allow': ['network.host'], 'build_timeout': 60}


def test_print_argv_runs_in_working_dir():
    argv = c.print_argv(['docker', 'buildx'], PARAMS)
    assert argv[:len(c.CHDIR) + 1] == c.CHDIR + ['/srv/app']
    words = c.command_words(argv)
    assert words == ['docker', 'buildx', 'bake', '--builder', 'ci', '--print', '--file', '/srv/app/docker-bake.hcl',
                     '--file', '/etc/extra.hcl', '--set', 'web.args.X=1', '--push', '--no-cache',
                     '--provenance', 'mode=max', 'web']


def test_build_argv_labels_each_target():
    argv = c.command_words(c.build_argv(['buildx'], PARAMS, '/tmp/m.json', ['base', 'app'],
                                        {'base': ('sha256:1', '{"a":1}'), 'app': ('sha256:2', '{}')}))
    assert argv[-2:] == ['base', 'app']
    assert '--allow' in argv and 'network.host' in argv and '--metadata-file' in argv
    assert 'base.labels.buildkit.fleet.fingerprint=sha256:1' in argv
    assert 'base.labels.buildkit.fleet.bake.inputs={"a":1}' in argv
    assert 'app.labels.buildkit.fleet.fingerprint=sha256:2' in argv


def test_variables_env_as_text():
    assert c.variables_env(PARAMS) == {'TAG': '2', 'ON': 'true'}


@pytest.mark.parametrize('change,words', [
    ({'set': ['web']}, "set[0]: 'web' is not an override"),
    ({'set': ['ok.args.A=1', 'web=1']}, "set[1]: 'web=1'"),
    ({'variables': {'1x': 'a'}}, "variables: '1x'"),
    ({'variables': {'X': {'a': 1}}}, "variables: the value of 'X'"),
    ({'allow': ['root']}, "allow: 'root'"),
    ({'build_timeout': 0}, 'build_timeout: must be a positive'),
])
def test_check_options(change, words):
    params = dict(PARAMS, **change)
    assert words in c.check_options(params)


def test_check_options_good():
    assert c.check_options(dict(PARAMS, allow=['fs.read=/srv', 'security.insecure'], set=['*.platforms=linux/arm64'])) is None


@pytest.mark.parametrize('output,expected', [
    ([{'type': 'docker'}], [{'kind': 'load'}]),
    ([{'type': 'registry'}], [{'kind': 'push'}]),
    ([{'type': 'image', 'push': 'true'}], [{'kind': 'push'}]),
    (['type=image,push=true'], [{'kind': 'push'}]),
    ([{'type': 'local', 'dest': 'out'}], [{'kind': 'file', 'type': 'local', 'dest': 'out'}]),
    ([{'type': 'docker', 'dest': 'x.tar'}], [{'kind': 'file', 'type': 'tar', 'dest': 'x.tar'}]),
    ([{'type': 'cacheonly'}], [{'kind': 'none', 'type': 'cacheonly'}]),
    ([], []),
])
def test_outputs(output, expected):
    assert c.outputs({'output': output}) == expected


def test_fingerprint_definition_keeps_ids_not_sources():
    labels = {'a': '1', c.INPUTS_LABEL: 'x', 'buildkit.fleet.fingerprint': 'y'}
    definition = {'secret': [{'id': 'tok', 'env': 'TOKEN'}, {'id': 'f', 'src': '/home/me/f'}], 'ssh': [{'id': 'default'}],
                  'output': [{'type': 'local', 'dest': '/tmp/x'}], 'labels': labels,
                  'cache-from': [{'type': 'local', 'src': '/c'}], 'args': {'A': '1'}}
    clean = c.fingerprint_definition(definition)
    assert clean == {'secret': ['f', 'tok'], 'ssh': ['default'], 'output': [{'type': 'local'}], 'labels': {'a': '1'},
                     'cache-from': [{'type': 'local'}], 'args': {'A': '1'}}


def test_local_context():
    assert c.local_context('../src') == '../src'
    assert c.local_context('target:base') is None
    assert c.local_context('docker-image://alpine') is None
    assert c.local_context('https://github.com/x/y.git') is None


def vertex(name, digest, cached=False, done=True):
    return {'digest': digest, 'name': name, 'cached': cached, 'started': '1' if done else None, 'completed': '2' if done else None}


def test_steps_by_target_prefixed():
    lines = [json.dumps({'vertexes': [vertex('[web 1/3] FROM base', 'd0'), vertex('[web 2/3] RUN echo', 'd1'),
                                      vertex('[web 3/3] COPY . /web/', 'd2', cached=True)]}),
             json.dumps({'vertexes': [vertex('[api linux/arm64 2/2] COPY . /api/', 'd3'),
                                      vertex('[api linux/amd64 2/2] COPY . /api/', 'd4'), vertex('[api] exporting', 'd5'),
                                      vertex('[internal] load local bake definitions', 'd6')]}),
             'not json', '#1 plain']
    steps = r.steps_by_target('\n'.join(lines), ['web', 'api'])
    assert steps['web'] == {'total': 2, 'cached': 1, 'executed': 1, 'pulled': 1}
    assert steps['api'] == {'total': 2, 'cached': 0, 'executed': 2, 'pulled': 0}


def test_steps_single_target_unprefixed():
    text = json.dumps({'vertexes': [vertex('[2/2] COPY . /x/', 'd1')]})
    assert r.steps_by_target(text, ['only'])['only']['executed'] == 1


def test_summary_and_failure():
    meta = {'containerimage.digest': 'sha256:m', 'containerimage.config.digest': 'sha256:c',
            'containerimage.descriptor': {'digest': 'sha256:m', 'platform': {'os': 'linux', 'architecture': 'amd64'}}}
    found = r.summary(meta)
    assert found['digest'] == 'sha256:m' and found['image_id'] == 'sha256:c'
    assert found['platform_digests'] == {'linux/amd64': 'sha256:m'}
    assert r.failure_message('#1 x\n{"vertexes": []}\nERROR: failed to find target nosuch\n') == 'failed to find target nosuch'
    assert r.failure_message('') == 'bake exited with an error and no message'


@pytest.mark.parametrize('ref,expected', [
    ('127.0.0.1:5000/a/b:1', ('127.0.0.1:5000', 'a/b', '1')),
    ('localhost/x', ('localhost', 'x', 'latest')),
    ('alpine', ('docker.io', 'library/alpine', 'latest')),
    ('me/app:2', ('docker.io', 'me/app', '2')),
    ('reg.example.com/app@sha256:ab', ('reg.example.com', 'app', 'sha256:ab')),
])
def test_split_ref(ref, expected):
    assert split_ref(ref) == expected

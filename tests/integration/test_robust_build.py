"""buildkit_build: inputs refused before any build, secrets hidden whatever their source, parallel identical builds."""
import json
import os

from build_support import BASE_IMAGE, context_dir, make_builder, unique
from robust_support import run_parallel, run_tasks


def test_inputs_buildx_would_misuse_fail_before_building(ansible, builder, buildx_config, tmp_path):
    name = make_builder(ansible, builder, buildx_config, prefix='robustin')
    ctx = str(context_dir(tmp_path, 'FROM %s\nRUN --mount=type=secret,id=s cat /run/secrets/s > /s\n' % BASE_IMAGE))
    missing = str(tmp_path / 'no-such-secret-file')
    unreadable_dir = str(tmp_path)  # a directory is not a readable secret file
    out = str(tmp_path / 'out')
    cases = [
        ({'build_args': {'A': {'nested': 1}}}, ['build_args', "'A'", 'dict']),
        ({'build_args': {'B': [1, 2]}}, ['build_args', "'B'", 'list']),
        ({'build_args': {'C': None}}, ['build_args', "'C'"]),
        ({'labels': {'team': {'x': 1}}}, ['labels', "'team'"]),
        ({'annotations': {'index:doc': ['a']}}, ['annotations', "'index:doc'"]),
        ({'secrets': [{'id': 's', 'src': missing}]}, ['secrets[0]', missing]),
        ({'secrets': [{'id': 's', 'src': unreadable_dir}]}, ['secrets[0]', unreadable_dir]),
        ({'secrets': [{'id': 's', 'env': 'ROBUST_NO_SUCH_VARIABLE'}]}, ['secrets[0]', 'ROBUST_NO_SUCH_VARIABLE']),
        ({'outputs': [{'type': 'push'}]}, ['tags', 'push']),
        ({'buildx_config': str(tmp_path / 'Dockerfile-file')}, ['buildx_config']),
    ]
    (tmp_path / 'Dockerfile-file').write_text('x')
    arg_list = [dict(dict(builder=name, buildx_config=buildx_config, context=ctx,
                          outputs=[{'type': 'local', 'dest': out}]), **options) for options, _words in cases]
    for check in (True, False):
        results, output = run_tasks(str(tmp_path / 'runs'), 'buildkit_build', arg_list, buildx_config, check=check)
        assert 'Traceback' not in output
        for (options, words), result in zip(cases, results):
            assert result['failed'] and not result.get('built'), (options, result)
            for word in words:
                assert word in result['msg'], (word, result['msg'])
            assert 'log_tail' not in result and 'Traceback' not in json.dumps(result), result
        assert not os.path.exists(out)


DOCKERFILE = '''FROM %s
RUN --mount=type=secret,id=fromenv --mount=type=secret,id=fromfile --mount=type=secret,id=fromvalue \
    sh -c 'cat /run/secrets/fromenv; echo; cat /run/secrets/fromfile; cat /run/secrets/fromvalue; exit 5'
''' % BASE_IMAGE


def test_secret_values_are_redacted_whatever_their_source(ansible, builder, buildx_config, tmp_path, monkeypatch):
    name = make_builder(ansible, builder, buildx_config, prefix='robustsec')
    env_value, file_value, plain_value = unique('EnvS3cret-'), unique('FileS3cret-'), unique('ValueS3cret-')
    monkeypatch.setenv('ROBUST_SECRET_ENV', env_value)
    secret_file = tmp_path / 'secret.txt'
    secret_file.write_text(file_value + '\n')
    result = ansible('buildkit_build', diff=True, builder=name, buildx_config=buildx_config,
                     context=str(context_dir(tmp_path, DOCKERFILE)), outputs=[{'type': 'local', 'dest': str(tmp_path / 'o')}],
                     secrets=[{'id': 'fromenv', 'env': 'ROBUST_SECRET_ENV'}, {'id': 'fromfile', 'src': str(secret_file)},
                              {'id': 'fromvalue', 'value': plain_value}])
    assert result['failed'] and 'exit code: 5' in result['msg'], result
    assert '********' in '\n'.join(result['log_tail'])  # the step did print them
    text = json.dumps(result) + result['_stdout']
    for value in (env_value, file_value, plain_value):
        assert value not in text


def test_parallel_identical_builds_build_once(builder, buildx_config, tmp_path, ansible):
    name = make_builder(ansible, builder, buildx_config, prefix='robustpb')
    ctx = str(context_dir(tmp_path, 'FROM %s\nRUN echo %s > /stamp\n' % (BASE_IMAGE, unique('x'))))
    args = dict(builder=name, buildx_config=buildx_config, context=ctx,
                outputs=[{'type': 'local', 'dest': str(tmp_path / 'out')}, {'type': 'oci', 'dest': str(tmp_path / 'i.tar')}])
    results = run_parallel(tmp_path / 'runs', 'buildkit_build', [args] * 3, buildx_config)
    assert [r.get('failed', False) for r in results] == [False] * 3, [r.get('msg') for r in results]
    assert sorted(r['changed'] for r in results) == [False, False, True]
    assert sorted(r['built'] for r in results) == [False, False, True]
    assert os.path.isfile(str(tmp_path / 'out' / 'stamp')) and os.path.isfile(str(tmp_path / 'i.tar'))
    assert ansible('buildkit_build', **args)['changed'] is False

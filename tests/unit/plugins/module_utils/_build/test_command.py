"""Options -> buildx argv, environment and fingerprint inputs; redaction."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._build import command as c


def params(**kw):
    base = dict(builder='b', context='/ctx', dockerfile=None, dockerfile_inline=None, build_args=None, target=None,
                platforms=None, tags=None, labels=None, annotations=None, outputs=None, cache_from=None,
                cache_to=None, secrets=None, ssh=None, build_contexts=None, network=None, no_cache=False,
                pull=False, provenance=None, sbom=None, shm_size=None, ulimits=None, add_hosts=None)
    base.update(kw)
    return base


def test_minimal_argv():
    argv, env, stdin = c.build_argv(['docker', 'buildx'], params(), '/tmp/md.json', None)
    assert argv == ['docker', 'buildx', 'build', '--builder', 'b', '--progress', 'rawjson', '--metadata-file',
                    '/tmp/md.json', '/ctx']
    assert env == {} and stdin is None


def test_every_option():
    p = params(dockerfile='sub/Dockerfile', build_args={'B': 2, 'A': 'x'}, target='final',
               platforms=['linux/amd64', 'linux/arm64'], tags=['r/i:1', 'r/i:2'], labels={'l': 'v'},
               annotations={'index:org.x': 'y'},
               outputs=[{'type': 'load', 'dest': None, 'attrs': None},
                        {'type': 'push', 'dest': None, 'attrs': {'compression': 'zstd'}},
                        {'type': 'oci', 'dest': '/o/x.tar', 'attrs': {'oci-mediatypes': True}},
                        {'type': 'local', 'dest': '/o/dir', 'attrs': None}],
               cache_from=[{'type': 'registry', 'ref': 'r/c', 'src': None, 'attrs': None},
                           {'type': 'local', 'ref': None, 'src': '/c', 'attrs': None}],
               cache_to=[{'type': 'registry', 'ref': 'r/c', 'dest': None, 'mode': 'max', 'attrs': None},
                         {'type': 'inline', 'ref': None, 'dest': None, 'mode': None, 'attrs': None}],
               secrets=[{'id': 'f', 'src': '/s', 'env': None, 'value': None},
                        {'id': 'e', 'src': None, 'env': 'TOKEN', 'value': None},
                        {'id': 'v', 'src': None, 'env': None, 'value': 'hunter2'}],
               ssh=['default'], build_contexts={'base': 'docker-image://r/base'}, network='host', no_cache=True,
               pull=True, provenance='mode=max', sbom='true', shm_size='128m', ulimits=['nofile=1024:1024'],
               add_hosts={'db': '10.0.0.2'})
    argv, env, stdin = c.build_argv(['/usr/bin/buildx'], p, '/m', 'sha256:f')
    text = ' '.join(argv)
    assert argv[:2] == ['/usr/bin/buildx', 'build'] and argv[-1] == '/ctx'
    for expected in ('--file /ctx/sub/Dockerfile', '--build-arg A=x --build-arg B=2', '--target final',
                     '--platform linux/amd64,linux/arm64', '--tag r/i:1 --tag r/i:2',
                     '--label buildkit.fleet.fingerprint=sha256:f --label l=v', '--annotation index:org.x=y',
                     '--output type=docker --output type=image,compression=zstd,push=true',
                     '--output type=oci,dest=/o/x.tar,oci-mediatypes=true', '--output type=local,dest=/o/dir',
                     '--cache-from type=registry,ref=r/c --cache-from type=local,src=/c',
                     '--cache-to type=registry,ref=r/c,mode=max --cache-to type=inline',
                     '--secret id=f,src=/s --secret id=e,env=TOKEN --secret id=v,env=BUILDKIT_FLEET_SECRET_2',
                     '--ssh default', '--build-context base=docker-image://r/base', '--network host', '--no-cache',
                     '--pull', '--provenance mode=max', '--sbom true', '--shm-size 128m', '--ulimit nofile=1024:1024',
                     '--add-host db=10.0.0.2'):
        assert expected in text
    assert 'hunter2' not in text
    assert env == {'BUILDKIT_FLEET_SECRET_2': 'hunter2'}


def test_inline_dockerfile_goes_to_stdin():
    argv, _env, stdin = c.build_argv(['buildx'], params(dockerfile_inline='FROM scratch\n'), '/m', None)
    assert argv[argv.index('--file') + 1] == '-' and stdin == 'FROM scratch\n'


def test_csv_quoting():
    assert c.output_spec({'type': 'local', 'dest': '/a,b', 'attrs': None}) == 'type=local,"dest=/a,b"'


@pytest.mark.parametrize('output', [{'type': 'tar', 'dest': None}, {'type': 'local'}])
def test_file_output_needs_dest(output):
    with pytest.raises(c.CommandError, match='needs dest'):
        c.output_spec(output)


def test_secret_needs_one_source():
    with pytest.raises(c.CommandError):
        c.secret_spec({'id': 'x', 'src': '/a', 'env': 'B', 'value': None}, 0)


def test_fingerprint_options_are_location_free_and_secret_free():
    one = params(context='/clone1', platforms=['linux/arm64/v8', 'amd64'],
                 outputs=[{'type': 'oci', 'dest': '/clone1/out.tar', 'attrs': None}],
                 secrets=[{'id': 's', 'src': None, 'env': None, 'value': 'sekrit1'}], ssh=['key=/home/a/.ssh/id'])
    two = params(context='/clone2', platforms=['linux/amd64', 'linux/arm64'],
                 outputs=[{'type': 'oci', 'dest': '/other/out.tar', 'attrs': None}],
                 secrets=[{'id': 's', 'src': None, 'env': None, 'value': 'two'}], ssh=['key=/root/id'])
    assert c.fingerprint_options(one) == c.fingerprint_options(two)
    three = dict(two, secrets=[{'id': 't', 'src': None, 'env': None, 'value': 'two'}])
    assert c.fingerprint_options(three) != c.fingerprint_options(two)
    assert 'sekrit1' not in repr(c.fingerprint_options(one))


def test_remote_contexts():
    assert c.is_remote('https://github.com/a/b.git#main') and c.is_remote('git@host:a/b.git')
    assert not c.is_remote('/srv/app') and not c.is_remote('.')
    assert c.fingerprint_options(params(context='https://h/x.git'))['remote_context'] == 'https://h/x.git'
    assert c.local_dir('docker-image://x') is None and c.local_dir('/dir') == '/dir'


def test_redact_nested():
    value = {'cmd': ['a', 'x=hunter2'], 'log': 'the hunter2 value', 'n': 3}
    assert c.redact(value, ['hunter2']) == {'cmd': ['a', 'x=********'], 'log': 'the ******** value', 'n': 3}
    assert c.redact('abc', []) == 'abc'


def test_one_secret_values_helper():
    """Only input_checks.secret_values (every source) exists: a value-only twin would leak env and file secrets."""
    assert not hasattr(c, 'secret_values')

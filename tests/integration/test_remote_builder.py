"""buildkit_remote_builder against real BuildKit daemons serving mutual TLS (one on each dockerd) and real buildx."""
import json
import os
import stat
import subprocess
import uuid

import docker
import pytest
from cryptography import x509

from build_support import BASE_IMAGE, REGISTRY
from remote_support import DOCKER2, buildctl_args, free_port, make_pki, serve
from support import buildx

MODULE = 'buildkit_remote_builder'


@pytest.fixture(scope='module')
def farm(tmp_path_factory):
    """Two serving BuildKit nodes (the default dockerd and the second one) and the certificates of their clients."""
    directory = str(tmp_path_factory.mktemp('farm-pki'))
    pki = make_pki(directory)
    foreign = make_pki(os.path.join(directory, 'foreign'))  # another CA: its client is a rogue
    containers = []
    try:
        try:
            first, port_a = serve(pki)
            containers.append(first)
            second, port_b = serve(pki, base_url=DOCKER2)
            containers.append(second)
        except (docker.errors.DockerException, OSError) as exc:
            pytest.fail('cannot start the serving BuildKit nodes (run make setup): %s' % exc)
        yield {'pki': pki, 'foreign': foreign, 'port_a': port_a, 'port_b': port_b,
               'a': 'tcp://127.0.0.1:%d' % port_a, 'b': 'tcp://127.0.0.1:%d' % port_b}
    finally:
        for container in containers:
            container.remove(force=True)


def tls(farm, pki=None):
    pki = pki or farm['pki']
    return {'servername': 'farm.local', 'ca_cert': pki['ca'], 'cert': pki['client'], 'key': pki['client_key']}


def two_nodes(farm, **extra):
    return [dict(tls(farm), name='node-a', endpoint=farm['a'], platforms=['linux/amd64'], **extra),
            dict(tls(farm), name='node-b', endpoint=farm['b'], platforms=['linux/arm64'], **extra)]


def unique(prefix):
    return '%s%s' % (prefix, uuid.uuid4().hex[:8])


def entry(buildx_config, name):
    path = os.path.join(buildx_config, 'instances', name.lower())
    with open(path, 'rb') as handle:
        return handle.read()


def pem_texts(farm):
    texts = []
    for label in ('client_key', 'client', 'ca'):
        with open(farm['pki'][label]) as handle:
            texts += [line for line in handle.read().splitlines() if line and not line.startswith('-----')]
    return texts


def assert_no_secret(farm, result):
    text = json.dumps(result)
    for line in pem_texts(farm):
        assert line not in text, 'PEM content in the result'


def buildx_ls(buildx_config):
    return [json.loads(line) for line in buildx(buildx_config, 'ls', '--format', 'json').stdout.splitlines()]


def test_create_check_then_changed_then_unchanged(ansible, buildx_config, farm):
    name = unique('Farm')
    args = dict(name=name, buildx_config=buildx_config, nodes=two_nodes(farm))
    predicted = ansible(MODULE, check=True, diff=True, **args)
    assert predicted['changed'] is True and not predicted['failed'], predicted
    assert predicted['differences'] == [{'item': 'builder', 'before': None, 'after': name}]
    assert not os.path.exists(os.path.join(buildx_config, 'instances', name.lower()))
    assert not os.path.exists(os.path.join(buildx_config, 'remote-tls'))
    assert_no_secret(farm, predicted)
    assert all(r['ok'] and r['tls']['server_name'] == 'farm.local' for r in predicted['reachable'])
    with open(farm['pki']['server'], 'rb') as handle:
        server = x509.load_pem_x509_certificate(handle.read())
    assert [r['tls']['server_serial'] for r in predicted['reachable']] == [format(server.serial_number, 'x')] * 2
    client_cert = predicted['builder']['nodes'][0]['tls_files']['cert']
    assert client_cert['subject'] == 'CN=farm client' and 29 <= client_cert['days_left'] <= 30

    made = ansible(MODULE, diff=True, **args)
    assert made['changed'] is True and not made['failed'], made
    assert_no_secret(farm, made)
    assert_no_secret(farm, {'out': made['_stdout']})
    stored = json.loads(entry(buildx_config, name))
    assert stored['Name'] == name and stored['Driver'] == 'remote'
    assert [n['Name'] for n in stored['Nodes']] == ['node-a', 'node-b']
    assert [n['Endpoint'] for n in stored['Nodes']] == [farm['a'], farm['b']]
    assert stored['Nodes'][1]['Platforms'] == [{'architecture': 'arm64', 'os': 'linux'}]
    tls_dir = os.path.join(buildx_config, 'remote-tls', name.lower())
    for node in stored['Nodes']:
        opts = node['DriverOpts']
        assert opts['servername'] == 'farm.local'
        for key, source in (('cacert', 'ca'), ('cert', 'client'), ('key', 'client_key')):
            assert opts[key] == os.path.join(tls_dir, node['Name'], os.path.basename(opts[key]))
            with open(opts[key], 'rb') as copy, open(farm['pki'][source], 'rb') as original:
                assert copy.read() == original.read()
            assert stat.S_IMODE(os.stat(opts[key]).st_mode) == 0o600
    for directory in (os.path.join(buildx_config, 'remote-tls'), tls_dir, os.path.join(tls_dir, 'node-a')):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    listed = [b for b in buildx_ls(buildx_config) if b['Name'] == name][0]
    assert listed['Driver'] == 'remote'
    assert [n['Status'] for n in listed['Nodes']] == ['running', 'running']

    again = ansible(MODULE, check=True, **args)
    assert again['changed'] is False, again['differences']
    again = ansible(MODULE, **args)
    assert again['changed'] is False, again['differences']

    # use: the current builder of the context, as `docker buildx use` sees it
    used = ansible(MODULE, use=True, **args)
    assert used['changed'] is True and used['builder']['current'] is True
    assert [b for b in buildx_ls(buildx_config) if b['Name'] == name][0]['Current'] is True
    assert ansible(MODULE, use=True, **args)['changed'] is False


def test_store_entry_equals_buildx_create(ansible, buildx_config, farm, tmp_path):
    name = unique('bx')
    theirs = str(tmp_path / 'theirs')
    pki = farm['pki']
    opts = 'cacert=%s,cert=%s,key=%s,servername=farm.local' % (pki['ca'], pki['client'], pki['client_key'])
    buildx(theirs, 'create', '--name', name, '--driver', 'remote', '--node', 'node-a', '--platform', 'linux/amd64',
           '--driver-opt', opts + ',default-load=true', farm['a'])
    buildx(theirs, 'create', '--name', name, '--append', '--node', 'node-b', '--platform', 'linux/arm64',
           '--driver-opt', opts + ',default-load=true', farm['b'])
    nodes = two_nodes(farm)
    mine = ansible(MODULE, name=name, buildx_config=buildx_config, copy_tls_files=False, default_load=True, nodes=nodes)
    assert mine['changed'] is True
    ours, expected = json.loads(entry(buildx_config, name)), json.loads(entry(theirs, name))
    assert ours == expected  # field by field
    assert entry(buildx_config, name) == entry(theirs, name)  # and byte for byte
    for field in ('Name', 'Driver', 'Dynamic'):
        assert ours[field] == expected[field]
    for mine_node, their_node in zip(ours['Nodes'], expected['Nodes']):
        for field in ('Name', 'Endpoint', 'Platforms', 'DriverOpts', 'Flags', 'Files'):
            assert mine_node[field] == their_node[field], field
    # the default name of a node is buildx's own: <name>0, lower case; single-node entries are equal byte for byte
    single = unique('One')
    buildx(theirs, 'create', '--name', single, '--driver', 'remote', '--driver-opt', opts, farm['a'])
    ansible(MODULE, name=single, buildx_config=buildx_config, copy_tls_files=False,
            nodes=[dict(tls(farm), endpoint=farm['a'])])
    assert entry(buildx_config, single) == entry(theirs, single)
    assert os.path.isfile(os.path.join(buildx_config, 'activity', single))


def test_adopts_buildx_made_builder(ansible, buildx_config, farm):
    name = unique('adopt')
    pki = farm['pki']
    opts = 'cacert=%s,cert=%s,key=%s,servername=farm.local' % (pki['ca'], pki['client'], pki['client_key'])
    buildx(buildx_config, 'create', '--name', name, '--driver', 'remote', '--node', 'node-a', '--platform',
           'linux/amd64', '--driver-opt', opts + ',default-load=false', farm['a'])
    buildx(buildx_config, 'create', '--name', name, '--append', '--node', 'node-b', '--platform', 'linux/arm64',
           '--driver-opt', opts, farm['b'])
    made = entry(buildx_config, name)
    args = dict(name=name, buildx_config=buildx_config, copy_tls_files=False, nodes=two_nodes(farm))
    assert ansible(MODULE, check=True, **args)['changed'] is False
    adopted = ansible(MODULE, **args)
    assert adopted['changed'] is False, adopted['differences']
    assert entry(buildx_config, name) == made  # untouched

    args['nodes'][1]['platforms'] = ['linux/arm64', 'linux/riscv64']
    predicted = ansible(MODULE, check=True, **args)
    assert predicted['changed'] is True
    assert predicted['differences'] == [{'item': 'nodes[node-b].platforms', 'before': ['linux/arm64'],
                                         'after': ['linux/arm64', 'linux/riscv64']}]
    assert entry(buildx_config, name) == made
    updated = ansible(MODULE, **args)
    assert updated['changed'] is True
    stored = json.loads(entry(buildx_config, name))
    assert stored['Nodes'][1]['Platforms'] == [{'architecture': 'arm64', 'os': 'linux'},
                                               {'architecture': 'riscv64', 'os': 'linux'}]
    assert 'linux/riscv64*' in buildx(buildx_config, 'inspect', name).stdout
    # taking the files into the store is an update of the paths only
    copied = ansible(MODULE, **dict(args, copy_tls_files=True))
    assert copied['changed'] is True
    assert sorted(d['item'] for d in copied['differences']) == ['nodes[node-a].driver_opts', 'nodes[node-b].driver_opts']
    assert ansible(MODULE, **dict(args, copy_tls_files=True))['changed'] is False


def histories(farm, port):
    proc = subprocess.run(buildctl_args(farm['pki'], port) + ['debug', 'histories', '--format', 'json'],
                          capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line)['record'] for line in proc.stdout.splitlines() if line.strip()]


def platforms_built(farm, port, image):
    found = set()
    for record in histories(farm, port):
        names = [e.get('Attrs', {}).get('name', '') for e in record.get('Exporters') or []]
        if any(image in n for n in names):
            found.add(record['FrontendAttrs'].get('platform'))
    return found


def test_builds_through_the_remote_builder(ansible, buildx_config, farm, tmp_path):
    name = unique('duo')
    made = ansible(MODULE, name=name, buildx_config=buildx_config, nodes=two_nodes(farm))
    assert made['changed'] is True and not made['failed'], made
    context = tmp_path / 'ctx'
    context.mkdir()
    token = uuid.uuid4().hex
    (context / 'Dockerfile').write_text('FROM %s\nRUN uname -m > /arch && echo %s > /token\n' % (BASE_IMAGE, token))

    image = '%s/bkf-test/remote%s' % (REGISTRY, token[:8])
    buildx(buildx_config, 'build', '--builder', name, '--platform', 'linux/amd64,linux/arm64', '--tag', image + ':cli',
           '--push', str(context), timeout=300)
    # each platform was built only on the node that serves it (read on each node over mutual TLS)
    assert platforms_built(farm, farm['port_a'], image) == {'linux/amd64'}
    assert platforms_built(farm, farm['port_b'], image) == {'linux/arm64'}

    built = ansible('buildkit_build', builder=name, context=str(context), platforms=['linux/amd64', 'linux/arm64'],
                    tags=[image + ':module'], outputs=[{'type': 'push'}])
    assert not built['failed'] and built['built'] is True, built
    assert sorted(built['platform_digests']) == ['linux/amd64', 'linux/arm64']
    manifest = json.loads(subprocess.run(
        ['docker', 'buildx', 'imagetools', 'inspect', '--raw', image + ':module'],
        capture_output=True, text=True, timeout=60, check=True).stdout)
    assert sorted('%s/%s' % (m['platform']['os'], m['platform']['architecture']) for m in manifest['manifests']
                  if m['platform']['os'] != 'unknown') == ['linux/amd64', 'linux/arm64']
    out = tmp_path / 'oci.tar'
    buildx(buildx_config, 'build', '--builder', name, '--platform', 'linux/arm64', '--output',
           'type=oci,dest=%s' % out, str(context), timeout=300)
    assert out.stat().st_size > 0


def test_absent_removes_entry_and_files(ansible, buildx_config, farm):
    name = unique('Gone')
    args = dict(name=name, buildx_config=buildx_config, nodes=two_nodes(farm))
    assert ansible(MODULE, **args)['changed'] is True
    buildx(buildx_config, 'inspect', name)
    tls_dir = os.path.join(buildx_config, 'remote-tls', name.lower())
    assert os.path.isdir(tls_dir)
    predicted = ansible(MODULE, check=True, diff=True, name=name, buildx_config=buildx_config, state='absent')
    assert predicted['changed'] is True and os.path.isdir(tls_dir)
    assert_no_secret(farm, predicted)
    removed = ansible(MODULE, name=name, buildx_config=buildx_config, state='absent')
    assert removed['changed'] is True
    assert not os.path.exists(os.path.join(buildx_config, 'instances', name.lower()))
    assert not os.path.exists(os.path.join(buildx_config, 'activity', name))
    assert not os.path.exists(os.path.join(buildx_config, 'remote-tls'))
    assert name not in [b['Name'] for b in buildx_ls(buildx_config)]
    assert ansible(MODULE, name=name, buildx_config=buildx_config, state='absent')['changed'] is False


def test_bad_inputs_name_the_option_and_leave_nothing(ansible, buildx_config, farm, tmp_path):
    pki, foreign = farm['pki'], farm['foreign']
    not_pem = tmp_path / 'not.pem'
    not_pem.write_text('hello\n')
    missing = str(tmp_path / 'missing.pem')
    closed = 'tcp://127.0.0.1:%d' % free_port()
    node = dict(tls(farm), endpoint=farm['a'])
    cases = [
        ([dict(node, ca_cert=missing)], ['nodes[0].ca_cert', missing, 'does not exist']),
        ([dict(node, cert=str(tmp_path))], ['nodes[0].cert', str(tmp_path), 'not a file']),
        ([dict(node, cert=str(not_pem))], ['nodes[0].cert', str(not_pem), 'not a PEM']),
        ([dict(node, key=foreign['client_key'])], ['nodes[0].key', foreign['client_key'], 'does not belong']),
        ([dict(node, cert=pki['expired_client'])], ['nodes[0].cert', pki['expired_client'], 'expired on']),
        ([dict(node, key=None)], ['nodes[0].key', 'required with cert']),
        ([dict(node, ca_cert=None)], ['nodes[0].ca_cert', 'required with TLS']),
        ([dict(node, cert='relative.pem')], ['nodes[0].cert', 'relative.pem', 'not an absolute path']),
        ([dict(node, endpoint='http://127.0.0.1:1234')], ['nodes[0].endpoint', 'http://127.0.0.1:1234']),
        ([dict(node, endpoint='tcp://127.0.0.1')], ['nodes[0].endpoint', 'tcp://127.0.0.1', 'tcp://HOST:PORT']),
        ([dict(node, platforms=['linux/'])], ['nodes[0].platforms', 'linux/']),
        ([dict(node, name='n'), dict(node, name='N', endpoint=farm['b'])], ['nodes[1].name', "'n'", 'unique']),
        ([node, dict(node)], ['nodes[1].endpoint', farm['a'], 'unique']),
        ([dict(node, platforms=['linux/arm64']), dict(node, endpoint=farm['b'], platforms=['arm64'])],
         ['nodes[1].platforms', 'linux/arm64', 'nodes[0]']),
        ([dict(node, endpoint=closed)], ['nodes[0].endpoint', closed, 'Connection refused']),
        ([dict(node, servername='wrong.example')],
         ['nodes[0].endpoint', 'wrong.example', 'TLS handshake', 'certificate verify failed']),
        ([dict(node, cert=foreign['client'], key=foreign['client_key'])], ['nodes[0].endpoint', 'refused']),
    ]
    name = unique('bad')
    for index, (nodes, words) in enumerate(cases):
        # the checks are the same in check mode; it is run for the first case and the endpoint checks
        for check in ((True, False) if index == 0 or index >= len(cases) - 3 else (False,)):
            failed = ansible(MODULE, check=check, name=name, buildx_config=buildx_config, nodes=nodes)
            assert failed['failed'] is True and failed.get('changed') is not True, failed
            for word in words:
                assert word in failed['msg'], (word, failed['msg'])
            assert os.listdir(buildx_config) == [], failed['msg']  # nothing left behind
    for bad_name in ('1farm', 'default'):
        failed = ansible(MODULE, name=bad_name, buildx_config=buildx_config, nodes=[node])
        assert failed['failed'] is True and ("name: " in failed['msg'] and bad_name in failed['msg']), failed['msg']
    failed = ansible(MODULE, name=name, buildx_config=buildx_config, nodes=[node], connect_timeout=0)
    assert failed['failed'] and 'connect_timeout' in failed['msg']
    assert os.listdir(buildx_config) == []

"""The desired store entry of a remote builder: names, endpoints, platforms, TLS options (pure)."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import group_to_json
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.spec import check_endpoint, desired, tls_dir

TLS = {'ca_cert': '/t/ca.pem', 'cert': '/t/cert.pem', 'key': '/t/key.pem'}
# What `docker buildx create --name X --driver remote --driver-opt cacert=/t/ca.pem,cert=/t/cert.pem,key=/t/key.pem,
# servername=farm.local tcp://127.0.0.1:12345` wrote with buildx v0.36.1.
BUILDX_SINGLE = (b'{"Name":"X","Driver":"remote","Nodes":[{"Name":"x0","Endpoint":"tcp://127.0.0.1:12345",'
                 b'"Platforms":null,"DriverOpts":{"cacert":"/t/ca.pem","cert":"/t/cert.pem","key":"/t/key.pem",'
                 b'"servername":"farm.local"},"Flags":null,"Files":null}],"Dynamic":false}')


def params(**kwargs):
    base = dict(name='X', nodes=[dict(TLS, endpoint='tcp://127.0.0.1:12345', servername='farm.local')],
                default_load=False, copy_tls_files=False)
    base.update(kwargs)
    return base


def test_reference_mode_is_buildx_byte_for_byte():
    assert group_to_json(desired(params(), '/store')) == BUILDX_SINGLE


def test_copy_mode_names_the_store_copies():
    spec = desired(params(copy_tls_files=True), '/store')
    node = spec['nodes'][0]
    assert node['driver_opts'] == {'cacert': '/store/remote-tls/x/x0/ca.pem', 'cert': '/store/remote-tls/x/x0/cert.pem',
                                   'key': '/store/remote-tls/x/x0/key.pem', 'servername': 'farm.local'}
    assert node['tls_files']['key'] == {'source': '/t/key.pem', 'target': '/store/remote-tls/x/x0/key.pem'}
    assert tls_dir('/store', 'X') == '/store/remote-tls/x'


def test_default_node_names_are_buildx_ones_and_skip_taken_names():
    nodes = [dict(endpoint='tcp://a:1'), dict(endpoint='tcp://b:1', name='Farm0'), dict(endpoint='tcp://c:1')]
    spec = desired(params(name='Farm', nodes=nodes), '/s')
    assert [n['name'] for n in spec['nodes']] == ['farm1', 'farm0', 'farm2']


def test_platforms_normalised_and_default_load():
    nodes = [dict(endpoint='tcp://a:1', platforms=['linux/arm64/v8', 'aarch64']), dict(endpoint='tcp://b:1', platforms=['amd64'])]
    spec = desired(params(nodes=nodes, default_load=True), '/s')
    assert spec['nodes'][0]['platforms'] == [{'architecture': 'arm64', 'os': 'linux'}]
    assert spec['nodes'][1]['driver_opts'] == {'default-load': 'true'}
    assert b'"Platforms":[{"architecture":"amd64","os":"linux"}]' in group_to_json(spec)


@pytest.mark.parametrize('nodes, words', [
    ([], ['nodes:', 'at least one']),
    ([dict(endpoint='http://a:1')], ['nodes[0].endpoint', 'http://a:1', 'tcp://HOST:PORT']),
    ([dict(endpoint='tcp://a')], ['nodes[0].endpoint', "'tcp://a'"]),
    ([dict(endpoint='tcp://a:99999')], ['nodes[0].endpoint', 'tcp://a:99999']),
    ([dict(endpoint='tcp://a:1/path')], ['nodes[0].endpoint']),
    ([dict(endpoint='a:1')], ['nodes[0].endpoint', "'a:1'"]),
    ([dict(endpoint='tcp://a:1', name='1bad')], ['nodes[0].name', '1bad']),
    ([dict(endpoint='tcp://a:1', name='n'), dict(endpoint='tcp://b:1', name='N')], ['nodes[1].name', "'n'", 'nodes[0]']),
    ([dict(endpoint='tcp://a:1'), dict(endpoint='tcp://a:1')], ['nodes[1].endpoint', 'tcp://a:1', 'unique']),
    ([dict(endpoint='tcp://a:1', platforms=['linux/']), ], ['nodes[0].platforms', "'linux/'"]),
    ([dict(endpoint='tcp://a:1', platforms=['arm64']), dict(endpoint='tcp://b:1', platforms=['linux/arm64/v8'])],
     ['nodes[1].platforms', 'linux/arm64', 'nodes[0]']),
    ([dict(endpoint='tcp://a:1', cert='/c.pem', key='/k.pem')], ['nodes[0].ca_cert', 'required']),
    ([dict(endpoint='tcp://a:1', servername='s')], ['nodes[0].ca_cert', 'required', 'servername']),
    ([dict(endpoint='tcp://a:1', ca_cert='/ca.pem', cert='/c.pem')], ['nodes[0].key', 'required with cert']),
    ([dict(endpoint='tcp://a:1', ca_cert='/ca.pem', key='/k.pem')], ['nodes[0].cert', 'required with key']),
    ([dict(endpoint='tcp://a:1', ca_cert='ca.pem')], ['nodes[0].ca_cert', "'ca.pem'", 'absolute']),
])
def test_bad_nodes_name_the_option(nodes, words):
    with pytest.raises(SpecError) as err:
        desired(params(nodes=nodes), '/s')
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize('name', ['1x', 'a b', '', 'default', 'Default'])
def test_bad_builder_names(name):
    with pytest.raises(SpecError, match='^name: '):
        desired(params(name=name), '/s')


@pytest.mark.parametrize('endpoint', ['tcp://farm.example:1234', 'tcp://[::1]:1234', 'unix:///run/buildkit/buildkitd.sock',
                                      'ssh://user@host', 'docker-container://buildkitd', 'kube-pod://pod'])
def test_endpoints_buildx_accepts(endpoint):
    assert check_endpoint('e', endpoint) == endpoint


def test_tls_free_node_has_no_driver_opts():
    spec = desired(params(nodes=[dict(endpoint='tcp://a:1')], copy_tls_files=True), '/s')
    assert spec['nodes'][0]['driver_opts'] == {} and spec['nodes'][0]['tls_files'] == {}


def test_unix_endpoint_probe(tmp_path):
    import socket
    from ansible_collections.buildkit.fleet.plugins.module_utils._remote.reachable import probe
    path = str(tmp_path / 's.sock')
    missing = probe({'name': 'n', 'endpoint': 'unix://' + path, 'tls_files': {}, 'driver_opts': {}}, 1)
    assert missing['checked'] and missing['ok'] is False and path in missing['error']
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    try:
        assert probe({'name': 'n', 'endpoint': 'unix://' + path, 'tls_files': {}, 'driver_opts': {}}, 1)['ok'] is True
    finally:
        server.close()
    assert probe({'name': 'n', 'endpoint': 'ssh://h', 'tls_files': {}, 'driver_opts': {}}, 1)['checked'] is False

"""_builder/tls.py: the serve option's checks, certificate facts, the [grpc] and GC sections (pure)."""
import datetime
import io
import ipaddress
import tarfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import docker_ops
from ansible_collections.buildkit.fleet.plugins.module_utils._builder import spec as s
from ansible_collections.buildkit.fleet.plugins.module_utils._builder import tls
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn='ca', key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - DAY).not_valid_after(NOW + 365 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_cert(ca, dns=('farm-a.example', '*.farm.example'), ips=('192.0.2.10',), before=None, after=None):
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    builder = (x509.CertificateBuilder().subject_name(_name('farm-a')).issuer_name(ca[1].subject)
               .public_key(key.public_key()).serial_number(0xabc123)
               .not_valid_before(before or NOW - DAY).not_valid_after(after or NOW + 30 * DAY))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return key, builder.sign(ca[0], hashes.SHA256())


def write(tmp_path, stem, pair):
    key, cert = pair
    cert_path, key_path = tmp_path / (stem + '.pem'), tmp_path / (stem + '-key.pem')
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def pki(tmp_path):
    ca = make_ca()
    ca_cert, _ca_key = write(tmp_path, 'ca', ca)
    cert, key = write(tmp_path, 'server', make_cert(ca))
    return dict(dir=tmp_path, ca=ca, serve=dict(port=1234, address='0.0.0.0', ca_cert=ca_cert, cert=cert, key=key,
                                                names=['farm-a.example', 'b.farm.example', '192.0.2.10']))


def test_good_files_give_the_certificate_facts(pki):
    checked = tls.check_serve(pki['serve'])
    assert sorted(checked['files']) == ['ca_cert', 'cert', 'key']
    info = checked['cert']
    assert info['subject'] == 'CN=farm-a' and info['serial'] == 'abc123' and info['days_left'] in (29, 30)
    assert info['sans'] == ['DNS:farm-a.example', 'DNS:*.farm.example', 'IP:192.0.2.10']
    material = s.TLSMaterial(checked)
    assert 'PRIVATE' not in repr(material) and material.digest == tls.digest(checked['files'])


@pytest.mark.parametrize('option', ['ca_cert', 'cert', 'key'])
def test_missing_file_names_the_option(pki, option):
    serve = dict(pki['serve'], **{option: '/nonexistent/file.pem'})
    with pytest.raises(SpecError, match=r"^serve\.%s: cannot read '/nonexistent/file.pem'" % option):
        tls.check_serve(serve)


def test_key_of_another_certificate(pki):
    _cert, other_key = write(pki['dir'], 'other', make_cert(pki['ca']))
    with pytest.raises(SpecError, match=r'^serve\.key: .* does not match the certificate serve\.cert'):
        tls.check_serve(dict(pki['serve'], key=other_key))


def test_key_that_is_not_a_key(pki):
    with pytest.raises(SpecError, match=r'^serve\.key: .* is not an unencrypted PEM private key'):
        tls.check_serve(dict(pki['serve'], key=pki['serve']['cert']))


def test_certificate_of_another_ca(pki):
    foreign = make_ca('foreign')
    cert, key = write(pki['dir'], 'foreign', make_cert(foreign))
    with pytest.raises(SpecError, match=r'^serve\.cert: .* is not signed by the CA serve\.ca_cert'):
        tls.check_serve(dict(pki['serve'], cert=cert, key=key))


def test_same_subject_other_ca_key_is_not_signed(pki):
    impostor = make_ca('ca')  # same subject name, another key
    cert, key = write(pki['dir'], 'impostor', make_cert(impostor))
    with pytest.raises(SpecError, match=r'^serve\.cert: .* is not signed by the CA'):
        tls.check_serve(dict(pki['serve'], cert=cert, key=key))


def test_rsa_ca_signature_is_verified(pki):
    ca = make_ca('rsa-ca', key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ca_cert, _key = write(pki['dir'], 'rsa-ca', ca)
    cert, key = write(pki['dir'], 'rsa-server', make_cert(ca))
    assert tls.check_serve(dict(pki['serve'], ca_cert=ca_cert, cert=cert, key=key))['cert']['serial'] == 'abc123'


def test_expired_and_not_yet_valid(pki):
    cert, key = write(pki['dir'], 'old', make_cert(pki['ca'], before=NOW - 10 * DAY, after=NOW - DAY))
    with pytest.raises(SpecError, match=r'^serve\.cert: .* expired on'):
        tls.check_serve(dict(pki['serve'], cert=cert, key=key))
    cert, key = write(pki['dir'], 'future', make_cert(pki['ca'], before=NOW + DAY, after=NOW + 10 * DAY))
    with pytest.raises(SpecError, match=r'^serve\.cert: .* is not valid before'):
        tls.check_serve(dict(pki['serve'], cert=cert, key=key))


@pytest.mark.parametrize('name', ['farm-b.example', '192.0.2.11', 'a.b.farm.example', 'farm.example'])
def test_name_not_in_sans(pki, name):
    with pytest.raises(SpecError, match=r"^serve\.names: '%s' is not among the subject alternative names" % name):
        tls.check_serve(dict(pki['serve'], names=[name]))


def test_port_and_address(pki):
    with pytest.raises(SpecError, match=r'^serve\.port:'):
        tls.check_serve(dict(pki['serve'], port=70000))
    with pytest.raises(SpecError, match=r"^serve\.address: 'farm-a' is not an IP address"):
        tls.check_serve(dict(pki['serve'], address='farm-a'))


def test_cryptography_missing(pki, monkeypatch):
    monkeypatch.setattr(tls, 'HAS_CRYPTOGRAPHY', False)
    with pytest.raises(SpecError, match=r'^serve: .* needs the Python cryptography library'):
        tls.check_serve(pki['serve'])


def test_grpc_section_is_what_buildkitd_reads():
    data = s.load_toml(tls.grpc_section(1234), 'x')
    assert data == {'grpc': {'address': ['unix:///run/buildkit/buildkitd.sock', 'tcp://0.0.0.0:1234'],
                             'tls': {'cert': '/etc/buildkit/tls/cert.pem', 'key': '/etc/buildkit/tls/key.pem',
                                     'ca': '/etc/buildkit/tls/ca.pem'}}}
    assert 'tcp://[::1]:99' in tls.grpc_section(99, '::1')


def test_gc_section_keys_as_buildkit_reads_them():
    data = s.load_toml(tls.gc_section(dict(max_used_space='20GB', reserved_space='2GB', min_free_space='10%',
                                           keep_duration='48h')), 'x')
    assert data == {'worker': {'oci': {'gcpolicy': [{'all': True, 'keepDuration': '48h', 'maxUsedSpace': '20GB',
                                                     'reservedSpace': '2GB', 'minFreeSpace': '10%'}]}}}


@pytest.mark.parametrize('option,value', [('max_used_space', '10%/5GB'), ('reserved_space', 'lots'),
                                          ('min_free_space', '5 parsecs'), ('keep_duration', '2 days')])
def test_gc_values_buildkit_would_not_read(option, value):
    with pytest.raises(SpecError, match=r'^gc\.%s: ' % option):
        tls.gc_section({option: value})


@pytest.mark.parametrize('value', ['20GB', '512MB', '1.5g', '100', '3GiB', '10%', '0'])
def test_gc_sizes_buildkit_reads(value):
    assert tls.check_gc({'max_used_space': value}) == {'max_used_space': value}


def test_gc_needs_a_value():
    with pytest.raises(SpecError, match=r'^gc: give at least one'):
        tls.check_gc({'max_used_space': None})


def test_user_config_must_leave_grpc_and_gc(pki):
    with pytest.raises(SpecError, match=r'^serve: the buildkitd config already has a \[grpc\] section'):
        tls.check_user_config({'grpc': {}}, pki['serve'], None)
    with pytest.raises(SpecError, match=r'^gc: the buildkitd config already sets'):
        tls.check_user_config({'worker': {'oci': {'gcpolicy': []}}}, None, {'max_used_space': '1GB'})
    with pytest.raises(SpecError, match=r'^gc: the buildkitd config turns GC off'):
        tls.check_user_config({'worker': {'oci': {'gc': False}}}, None, {'max_used_space': '1GB'})
    tls.check_user_config({'grpc': {}}, None, {'max_used_space': '1GB'})  # no serve: the user's [grpc] is theirs


def test_desired_spec_with_serve_and_gc(pki):
    params = dict(name='farm', driver_opts={}, buildkitd_flags=None, platforms=None, serve=pki['serve'],
                  gc={'max_used_space': '2GB'})
    spec = s.desired_spec(params, 'unix:///var/run/docker.sock', config_text='debug = true\n')
    node = spec['nodes'][0]
    assert 'grpc' not in s.load_toml(node['config'], 'x')  # the store entry: without the listener
    assert s.load_toml(node['config'], 'x')['worker']['oci']['gcpolicy'][0]['maxUsedSpace'] == '2GB'
    assert node['config_data']['grpc']['address'][1] == 'tcp://0.0.0.0:1234'
    cspec = s.container_spec(node, {})
    assert cspec['ports'] == {'1234/tcp': [{'HostIp': '0.0.0.0', 'HostPort': '1234'}]}
    assert cspec['cmd'][:2] == ['--config', '/etc/buildkit/buildkitd.toml']
    body = docker_ops.container_body(cspec)
    assert body['ExposedPorts'] == {'1234/tcp': {}} and body['HostConfig']['PortBindings'] == cspec['ports']
    assert 'PRIVATE' not in repr(spec)


def test_host_network_listens_on_the_address(pki):
    params = dict(name='farm', driver_opts={'network': 'host'}, buildkitd_flags=None, platforms=None,
                  serve=dict(pki['serve'], address='127.0.0.1'))
    node = s.desired_spec(params, 'unix:///x')['nodes'][0]
    assert node['config'] is None and node['config_data']['grpc']['address'][1] == 'tcp://127.0.0.1:1234'
    assert s.container_spec(node, {})['ports'] == {}


def test_container_files_key_mode_and_digest(pki):
    material = s.TLSMaterial(tls.check_serve(pki['serve']))
    data = docker_ops._config_tar('debug = true\n', material.container_files)  # pylint: disable=protected-access
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = dict((m.name, m) for m in tar.getmembers())
        assert members['buildkit/tls/key.pem'].mode == 0o600 and members['buildkit/tls/key.pem'].uid == 0
        assert members['buildkit/tls/cert.pem'].mode == 0o644 and members['buildkit/tls'].isdir()
        assert tar.extractfile('buildkit/tls/digest').read().decode().strip() == material.digest
        assert tar.extractfile('buildkit/buildkitd.toml').read() == b'debug = true\n'


def test_digest_changes_with_any_file(pki):
    files = tls.check_serve(pki['serve'])['files']
    base = tls.digest(files)
    for option in files:
        assert tls.digest(dict(files, **{option: files[option] + b'\n'})) != base


def test_serve_view_from_config_bindings_and_cert(pki):
    config = s.load_toml(tls.grpc_section(1234), 'x')
    with open(pki['serve']['cert'], 'rb') as handle:
        pem = handle.read()
    view = tls.serve_view(config, {'1234/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '1234'}]}, pem)
    assert view['address'] == '127.0.0.1' and view['port'] == 1234 and view['serial'] == 'abc123'
    assert tls.serve_view(config, {}, pem)['address'] == '0.0.0.0'
    assert tls.serve_view({}, {}, pem) is None
    assert tls.cert_info(b'not a cert') is None


def test_daemon_port_errors_name_serve_port(pki):
    from ansible_collections.buildkit.fleet.plugins.module_utils._builder.daemon_checks import explain
    spec = s.desired_spec(dict(name='farm', driver_opts={}, buildkitd_flags=None, platforms=None, serve=pki['serve']),
                          'ssh://farm-a')
    msg = explain('driver failed programming external connectivity: Bind for 0.0.0.0:1234 failed: port is already '
                  'allocated', spec)
    assert msg.startswith('serve.port: 1234 on 0.0.0.0 could not be published')
    plain = s.desired_spec(dict(name='farm', driver_opts={}, buildkitd_flags=None, platforms=None), 'ssh://farm-a')
    assert explain('port is already allocated', plain) == 'port is already allocated'


def test_ca_bundle_with_several_certificates(pki):
    other = make_ca('other-ca')
    bundle = pki['dir'] / 'bundle.pem'
    with open(pki['serve']['ca_cert'], 'rb') as handle:
        mine = handle.read()
    bundle.write_bytes(other[1].public_bytes(serialization.Encoding.PEM) + mine)
    assert tls.check_serve(dict(pki['serve'], ca_cert=str(bundle)))['cert']['serial'] == 'abc123'
    (pki['dir'] / 'junk.pem').write_bytes(b'junk')
    with pytest.raises(SpecError, match=r'^serve\.ca_cert: .* is not a PEM certificate'):
        tls.check_serve(dict(pki['serve'], ca_cert=str(pki['dir'] / 'junk.pem')))

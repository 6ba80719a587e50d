"""Serving builders (issue 16): a builder that also listens on TCP with mutual TLS, its certificate rotation with the
cache kept, its cache ceiling, and the bad inputs. Real daemon, real buildctl over TCP, certificates made here."""
import datetime
import json
import os
import socket
import ssl
import subprocess

import pytest

from build_support import context_dir
from serve_certs import NOW, make_ca, make_cert, write
from support import TEST_IMAGE, buildx, container, exec_in, store_files, volume_exists

BUILDCTL = os.environ.get('BUILDKIT_FLEET_BUILDCTL', '/var/cache/buildkit-fleet/buildkit-v0.32.2/buildctl')
SERVER_NAME = 'farm-a.example'
DOCKERFILE = '''FROM scratch
COPY bb-amd64 /bin/busybox
COPY seed.txt /seed.txt
RUN ["/bin/busybox", "sh", "-c", "busybox sleep 1; busybox cat /seed.txt > /out.txt; busybox date >> /out.txt"]
'''


def free_port():
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class Pki(object):
    """Files of one test's PKI: the CA, server certificates, a client and three rogue clients."""

    def __init__(self, directory):
        self.dir = str(directory)
        self.ca = make_ca('serve-test-ca')
        self.ca_cert = write(self.dir, 'ca', self.ca)[0]
        self.client_cert, self.client_key = write(self.dir, 'client', make_cert(self.ca, 'client-1', server=False))
        foreign = make_ca('foreign-ca')
        self.foreign_cert, self.foreign_key = write(self.dir, 'foreign', make_cert(foreign, 'rogue', server=False))
        self.expired_cert, self.expired_key = write(self.dir, 'expired', make_cert(
            self.ca, 'old-client', server=False, not_before=NOW - datetime.timedelta(days=30),
            not_after=NOW - datetime.timedelta(days=1)))
        self.foreign_ca = foreign

    def server(self, stem='server', ca=None, **kw):
        kw.setdefault('dns', [SERVER_NAME, 'localhost'])
        kw.setdefault('ips', ['127.0.0.1'])
        return write(self.dir, stem, make_cert(ca or self.ca, 'farm-a', **kw))


@pytest.fixture
def pki(tmp_path):
    directory = tmp_path / 'pki'
    directory.mkdir()
    return Pki(directory)


def serve_opts(pki, port, cert, key, **kw):
    opts = dict(port=port, address='127.0.0.1', ca_cert=pki.ca_cert, cert=cert, key=key,
                names=[SERVER_NAME, '127.0.0.1'])
    opts.update(kw)
    return opts


def buildctl(port, pki, *args, cert=None, key=None, timeout=60):
    cmd = [BUILDCTL, '--addr', 'tcp://127.0.0.1:%d' % port, '--tlsservername', SERVER_NAME, '--tlscacert', pki.ca_cert]
    if cert:
        cmd += ['--tlscert', cert, '--tlskey', key]
    if not os.path.exists(BUILDCTL):
        pytest.fail('buildctl %s is missing (make setup)' % BUILDCTL)
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout, check=False)


def served_serial(port, pki):
    """The serial (hex) of the certificate the listener presents, read with Python's ssl as a client."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.ca_cert)
    ctx.load_cert_chain(pki.client_cert, pki.client_key)
    with socket.create_connection(('127.0.0.1', port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=SERVER_NAME) as tls:
            der = tls.getpeercert(binary_form=True)
    from cryptography import x509
    return format(x509.load_der_x509_certificate(der).serial_number, 'x')


def remote_build(port, pki, ctx):
    """A build from a remote client (buildctl over TCP with the client certificate): {RUN step: cached}."""
    proc = buildctl(port, pki, 'build', '--frontend', 'dockerfile.v0', '--local', 'context=%s' % ctx,
                    '--local', 'dockerfile=%s' % ctx, '--progress', 'rawjson',
                    cert=pki.client_cert, key=pki.client_key, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = {}
    for line in proc.stderr.splitlines():
        try:
            status = json.loads(line)
        except ValueError:
            continue
        for vertex in status.get('vertexes') or []:
            if 'RUN' in (vertex.get('name') or ''):
                steps[vertex['name']] = steps.get(vertex['name'], False) or bool(vertex.get('cached'))
    assert steps, proc.stderr[-2000:]
    return steps


def nothing_left(docker_client, buildx_config, node):
    assert container(docker_client, node) is None
    assert not volume_exists(docker_client, node)
    assert store_files(buildx_config) == []


def test_serving_builder_rotation_and_ceiling(ansible, builder, docker_client, buildx_config, pki, tmp_path):
    name = builder('srv')
    node = name + '0'
    port = free_port()
    cert, key = pki.server()
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE},
                serve=serve_opts(pki, port, cert, key), gc={'max_used_space': '2GB', 'keep_duration': '48h'})

    predicted = ansible('buildkit_builder', check=True, **args)
    assert not predicted['failed'], predicted
    assert predicted['changed'] is True and 'create container buildx_buildkit_%s' % node in predicted['actions']
    assert container(docker_client, node) is None
    made = ansible('buildkit_builder', **args)
    assert not made['failed'] and made['changed'] is True, made
    again = ansible('buildkit_builder', **args)
    assert not again['failed'] and again['changed'] is False and again['actions'] == [], again

    inspect = container(docker_client, node)
    assert inspect['State']['Running'] and inspect['RestartCount'] == 0
    assert inspect['HostConfig']['PortBindings'] == {'%d/tcp' % port: [{'HostIp': '127.0.0.1', 'HostPort': str(port)}]}
    code, out = exec_in(docker_client, node, 'stat', '-c', '%a %u', '/etc/buildkit/tls/key.pem')
    assert code == 0 and out.split() == ['600', '0'], out
    first_serial = made['builder']['nodes'][0]['serve']['serial']
    assert served_serial(port, pki) == first_serial

    # the host's buildx still reaches the node through its unix socket
    ctx = context_dir(tmp_path, DOCKERFILE, {'seed.txt': name}, busyboxes=('amd64',))
    buildx(buildx_config, 'build', '--builder', name, str(ctx))

    # a client with a certificate of the CA gets through; F6: the ceiling is in force
    workers = buildctl(port, pki, 'debug', 'workers', '-v', cert=pki.client_cert, key=pki.client_key)
    assert workers.returncode == 0, workers.stderr
    assert 'Maximum used space:\t2.147483648GB' in workers.stdout and 'Keep duration:\t\t48h0m0s' in workers.stdout
    assert 'All:\t\t\ttrue' in workers.stdout

    # F1: rogue clients are refused at TLS
    for label, rogue in (('no client certificate', {}),
                         ('foreign CA', dict(cert=pki.foreign_cert, key=pki.foreign_key)),
                         ('expired', dict(cert=pki.expired_cert, key=pki.expired_key))):
        refused = buildctl(port, pki, 'debug', 'workers', timeout=30, **rogue)
        assert refused.returncode != 0, (label, refused.stdout)
        assert 'ID' not in refused.stdout
        assert any(w in refused.stderr for w in ('tls', 'broken pipe', 'connection reset', 'EOF')), (label, refused.stderr)
        build = buildctl(port, pki, 'build', '--frontend', 'dockerfile.v0', '--local', 'context=%s' % ctx,
                         '--local', 'dockerfile=%s' % ctx, timeout=60, **rogue)
        assert build.returncode != 0 and 'RUN' not in build.stderr, (label, build.stderr[-2000:])
    rogue = buildctl(port, pki, 'debug', 'workers', timeout=30, cert=pki.expired_cert, key=pki.expired_key)
    assert 'expired certificate' in rogue.stderr, rogue.stderr

    # buildkit_builder_info reports the listener and the ceiling
    info = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config)
    facts = info['builder']['nodes'][0]
    assert facts['serve']['port'] == port and facts['serve']['address'] == '127.0.0.1'
    assert facts['serve']['serial'] == first_serial and facts['serve']['subject'] == 'CN=farm-a'
    assert 'DNS:%s' % SERVER_NAME in facts['serve']['sans'] and facts['serve']['days_left'] in (88, 89)
    assert facts['gc'] == [{'all': True, 'filters': [], 'keep_duration': 172800, 'max_used_space': 2 * 1024 ** 3,
                            'reserved_space': 0, 'min_free_space': 0}]

    # F3: a renewed certificate rotates the listener, the container and its cache stay
    steps = remote_build(port, pki, ctx)
    assert list(steps.values()) == [True], steps  # cached from the host's build: the same cache
    volume_before = docker_client.api.inspect_volume('buildx_buildkit_%s_state' % node)
    new_cert, new_key = pki.server('server2')
    args['serve'] = serve_opts(pki, port, new_cert, new_key)
    predicted = ansible('buildkit_builder', check=True, diff=True, **args)
    assert predicted['changed'] is True and any('certificate would rotate' in n for n in predicted['notes']), predicted
    assert 'PRIVATE KEY' not in json.dumps(predicted) and 'PRIVATE KEY' not in predicted['_stdout']
    assert served_serial(port, pki) == first_serial  # check mode touched nothing
    rotated = ansible('buildkit_builder', diff=True, **args)
    assert not rotated['failed'] and rotated['changed'] is True, rotated
    new_serial = rotated['builder']['nodes'][0]['serve']['serial']
    assert rotated['builder']['nodes'][0]['serve']['rotated'] is True and new_serial != first_serial
    assert any('certificate rotated' in n and new_serial in n for n in rotated['notes'])
    assert 'PRIVATE KEY' not in rotated['_stdout'] + rotated['_stderr']
    assert served_serial(port, pki) == new_serial
    after = container(docker_client, node)
    assert after['Id'] == inspect['Id']
    assert docker_client.api.inspect_volume('buildx_buildkit_%s_state' % node) == volume_before
    steps = remote_build(port, pki, ctx)
    assert list(steps.values()) == [True], steps  # 0 executed steps: fully cached after the rotation
    settled = ansible('buildkit_builder', **args)
    assert settled['changed'] is False, settled

    # a new ceiling is a config change: re-created, the state volume kept
    args['gc'] = {'max_used_space': '3GB'}
    changed = ansible('buildkit_builder', **args)
    assert changed['changed'] is True and any(d['item'] == 'container.config' for d in changed['differences'])
    assert docker_client.api.inspect_volume('buildx_buildkit_%s_state' % node) == volume_before
    workers = buildctl(port, pki, 'debug', 'workers', '-v', cert=pki.client_cert, key=pki.client_key)
    assert 'Maximum used space:\t3.221225472GB' in workers.stdout, workers.stdout
    assert served_serial(port, pki) == new_serial
    assert list(remote_build(port, pki, ctx).values()) == [True]


def test_builders_item_serves(ansible, builder, docker_client, buildx_config, pki):
    name = builder('srvb')
    port = free_port()
    cert, key = pki.server()
    item = dict(name=name, pull=False, driver_opts={'image': TEST_IMAGE}, serve=serve_opts(pki, port, cert, key),
                gc={'reserved_space': '1GB', 'min_free_space': '10%'})
    first = ansible('buildkit_builders', buildx_config=buildx_config, builders=[item])
    assert not first['failed'] and first['changed'] is True, first
    node = first['builders'][0]['builder']['nodes'][0]
    assert node['serve']['port'] == port and node['gc'][0]['reserved_space'] == 1024 ** 3
    second = ansible('buildkit_builders', buildx_config=buildx_config, builders=[item])
    assert second['changed'] is False, second
    workers = buildctl(port, pki, 'debug', 'workers', '-v', cert=pki.client_cert, key=pki.client_key)
    assert workers.returncode == 0 and 'Reserved space:\t\t1.073741824GB' in workers.stdout, workers.stdout
    # two serving builders of one host on one port: refused before anything changes
    others = [dict(item, name=builder('srvc')), dict(item, name=builder('srvd'))]
    clash = ansible('buildkit_builders', buildx_config=buildx_config, builders=others)
    assert clash['failed'] and 'builders[1] (%s): serve.port %d is also given by builders[0]' % (
        others[1]['name'], port) in clash['msg'], clash
    for other in others:
        assert container(docker_client, other['name'] + '0') is None


def _bad_cases(pki):
    cert, key = pki.server()
    other_cert, other_key = pki.server('other')
    foreign_cert, foreign_key = pki.server('foreign-server', ca=pki.foreign_ca)
    expired_cert, expired_key = pki.server('expired-server', not_before=NOW - datetime.timedelta(days=30),
                                           not_after=NOW - datetime.timedelta(days=1))
    return [
        ('missing cert file', dict(cert=cert + '.missing', key=key), 'serve.cert', 'cannot read'),
        ('key not matching', dict(cert=cert, key=other_key), 'serve.key', 'does not match'),
        ('not signed by the CA', dict(cert=foreign_cert, key=foreign_key), 'serve.cert', 'not signed by the CA'),
        ('expired server cert', dict(cert=expired_cert, key=expired_key), 'serve.cert', 'expired'),
        ('SAN missing', dict(cert=cert, key=key, names=['farm-b.example']), 'serve.names', 'farm-b.example'),
        ('port in use', dict(cert=other_cert, key=other_key), 'serve.port', 'already in use'),
    ]


def test_bad_inputs_name_the_option_and_leave_nothing(ansible, builder, docker_client, buildx_config, pki):
    busy = socket.socket()
    busy.bind(('127.0.0.1', 0))
    busy.listen(1)
    busy_port = busy.getsockname()[1]
    try:
        for label, files, option, words in _bad_cases(pki):
            name = builder('bad')
            port = busy_port if label == 'port in use' else free_port()
            serve = serve_opts(pki, port, files['cert'], files['key'])
            if 'names' in files:
                serve['names'] = files['names']
            for check in (True, False):
                result = ansible('buildkit_builder', check=check, name=name, buildx_config=buildx_config, pull=False,
                                 driver_opts={'image': TEST_IMAGE}, serve=serve)
                assert result['failed'], (label, result)
                assert result['msg'].startswith(option) and words in result['msg'], (label, result['msg'])
                nothing_left(docker_client, buildx_config, name + '0')
        # a user config with its own [grpc] section; a gc value BuildKit would not read
        name = builder('bad')
        cert, key = pki.server()
        for extra, option in ((dict(buildkitd_config_inline='[grpc]\n  address = ["tcp://0.0.0.0:1"]\n',
                                    serve=serve_opts(pki, free_port(), cert, key)), 'serve'),
                              (dict(gc={'max_used_space': '10%/5GB'}), 'gc.max_used_space')):
            result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                             driver_opts={'image': TEST_IMAGE}, **extra)
            assert result['failed'] and result['msg'].startswith(option + ':'), result
            nothing_left(docker_client, buildx_config, name + '0')
    finally:
        busy.close()


def test_host_network_listens_itself(ansible, builder, docker_client, buildx_config, pki):
    """With driver_opts.network=host nothing is published: buildkitd listens on serve.address:serve.port."""
    name = builder('srvh')
    node = name + '0'
    port = free_port()
    cert, key = pki.server()
    args = dict(name=name, buildx_config=buildx_config, pull=False,
                driver_opts={'image': TEST_IMAGE, 'network': 'host'}, serve=serve_opts(pki, port, cert, key))
    made = ansible('buildkit_builder', **args)
    assert not made['failed'] and made['changed'] is True, made
    inspect = container(docker_client, node)
    assert inspect['HostConfig']['NetworkMode'] == 'host' and not inspect['HostConfig'].get('PortBindings')
    assert ansible('buildkit_builder', **args)['changed'] is False  # its own listener is not "a port in use"
    workers = buildctl(port, pki, 'debug', 'workers', cert=pki.client_cert, key=pki.client_key)
    assert workers.returncode == 0, workers.stderr
    info = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config)
    assert info['builder']['nodes'][0]['serve']['address'] == '127.0.0.1'
    assert info['builder']['nodes'][0]['serve']['port'] == port

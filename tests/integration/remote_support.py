"""A BuildKit daemon serving mutual TLS on a published port, and certificates for it (tests of remote builders)."""
import datetime
import io
import os
import socket
import ssl
import tarfile
import time
import uuid

import docker
from cryptography.x509.oid import ExtendedKeyUsageOID

import serve_certs as certs
from support import TEST_IMAGE

DOCKER2 = 'unix:///run/buildkit-fleet/docker2.sock'
BUILDCTL = os.environ.get('BUILDKIT_FLEET_BUILDCTL', '/var/cache/buildkit-fleet/buildkit-v0.32.2/buildctl')


def make_pki(directory, sans=('farm.local', '127.0.0.1'), prefix=''):
    """CA, server and client certificates (EC P-256) as files in `directory`; {'ca', 'server', 'server_key',
    'client', 'client_key', 'expired_client'} paths (the expired client certificate has the client's key).

    Every certificate has basic constraints; the CA is valid for 60 days, the others for 30 (the expired one
    ended a day ago)."""
    os.makedirs(directory, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = certs.new_key()
    ca = certs.certificate('test farm CA', ca_key, now - certs.HOUR, now + 60 * certs.DAY, ca=True)

    def leaf(cn, key, usage, sans=(), start=now):
        return certs.certificate(cn, key, start - certs.HOUR, start + 30 * certs.DAY, issuer=(ca_key, ca), ca=False,
                                 usage=usage, sans=sans)

    server_key, client_key = certs.new_key(), certs.new_key()
    files = {'ca': certs.cert_pem(ca),
             'server': certs.cert_pem(leaf('farm server', server_key, ExtendedKeyUsageOID.SERVER_AUTH, sans)),
             'server_key': certs.key_pem(server_key),
             'client': certs.cert_pem(leaf('farm client', client_key, ExtendedKeyUsageOID.CLIENT_AUTH)),
             'client_key': certs.key_pem(client_key),
             'expired_client': certs.cert_pem(leaf('expired client', client_key, ExtendedKeyUsageOID.CLIENT_AUTH,
                                                   start=now - 31 * certs.DAY))}
    return dict((label, certs.write_pem(os.path.join(directory, '%s%s.pem' % (prefix, label.replace('_', '-'))),
                                        data, mode=0o600))
                for label, data in files.items())


def free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _tar(files):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode='w') as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(content))
    return data.getvalue()


def serve(pki, base_url=None, port=None):
    """A privileged BuildKit container serving tcp on 127.0.0.1:<port> with mutual TLS; (container, port).

    Host networking (as a farm node with network=host): the port is the host's, and the registry on 127.0.0.1:5000
    is reachable from the builds."""
    client = docker.DockerClient(base_url=base_url, timeout=120) if base_url else docker.from_env(timeout=120)
    port = port or free_port()
    name = 'bkfleet-remote-%s' % uuid.uuid4().hex[:8]
    config = ('[grpc]\n  address = ["unix:///run/buildkit/buildkitd.sock", "tcp://127.0.0.1:%d"]\n'
              '  [grpc.tls]\n    cert = "/etc/buildkit/tls/server.pem"\n    key = "/etc/buildkit/tls/server-key.pem"\n'
              '    ca = "/etc/buildkit/tls/ca.pem"\n'
              '[registry."127.0.0.1:5000"]\n  http = true\n  insecure = true\n' % port)
    files = {'etc/buildkit/buildkitd.toml': config.encode()}
    for label, target in (('ca', 'etc/buildkit/tls/ca.pem'), ('server', 'etc/buildkit/tls/server.pem'),
                          ('server_key', 'etc/buildkit/tls/server-key.pem')):
        with open(pki[label], 'rb') as handle:
            files[target] = handle.read()
    container = client.containers.create(TEST_IMAGE, command=['--config', '/etc/buildkit/buildkitd.toml'], name=name,
                                         privileged=True, network_mode='host', detach=True)
    try:
        container.put_archive('/', _tar(files))  # before the first start: buildkitd needs them to start
        container.start()
        wait_tls(pki, port)
    except Exception:
        container.remove(force=True)
        raise
    return container, port


def wait_tls(pki, port, timeout=30):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(pki['ca'])
    context.load_cert_chain(pki['client'], pki['client_key'])
    deadline = time.time() + timeout
    while True:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=2) as sock:
                with context.wrap_socket(sock, server_hostname='farm.local'):
                    return
        except (OSError, ssl.SSLError):
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def buildctl_args(pki, port):
    return [BUILDCTL, '--addr', 'tcp://127.0.0.1:%d' % port, '--tlsservername', 'farm.local',
            '--tlscacert', pki['ca'], '--tlscert', pki['client'], '--tlskey', pki['client_key']]

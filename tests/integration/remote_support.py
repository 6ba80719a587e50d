"""A BuildKit daemon serving mutual TLS on a published port, and certificates for it (tests of remote builders)."""
import datetime
import io
import ipaddress
import os
import socket
import ssl
import tarfile
import time
import uuid

import docker
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from support import TEST_IMAGE

DOCKER2 = 'unix:///run/buildkit-fleet/docker2.sock'
BUILDCTL = os.environ.get('BUILDKIT_FLEET_BUILDCTL', '/var/cache/buildkit-fleet/buildkit-v0.32.2/buildctl')


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert(subject, key, issuer, issuer_key, ca=False, usage=None, sans=(), days=30, serial=None, expired=False):
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days + 1 if expired else 0)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(serial or x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        names = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def make_pki(directory, sans=('farm.local', '127.0.0.1'), prefix=''):
    """CA, server and client certificates (EC P-256) as files in `directory`; {'ca', 'server', 'server_key',
    'client', 'client_key', 'expired_client'} paths (the expired client certificate has the client's key)."""
    os.makedirs(directory, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert('test farm CA', ca_key, 'test farm CA', ca_key, ca=True, days=60)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _cert('farm server', server_key, 'test farm CA', ca_key, usage=ExtendedKeyUsageOID.SERVER_AUTH, sans=sans)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _cert('farm client', client_key, 'test farm CA', ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    expired = _cert('expired client', client_key, 'test farm CA', ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH,
                    expired=True)
    files = {'ca': ca, 'server': server, 'server_key': _key_pem(server_key), 'client': client,
             'client_key': _key_pem(client_key), 'expired_client': expired}
    paths = {}
    for label, data in files.items():
        path = os.path.join(directory, '%s%s.pem' % (prefix, label.replace('_', '-')))
        with open(path, 'wb') as handle:
            handle.write(data)
        os.chmod(path, 0o600)
        paths[label] = path
    return paths


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

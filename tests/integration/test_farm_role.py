"""The buildkit.fleet.farm role on the real harness: two farm "hosts" on this machine (connection local; farm-a on
the main dockerd, linux/amd64; farm-b on the second dockerd, linux/arm64), the controller as the client.
Certificates are read back with `cryptography`, builders with Docker, buildx and buildctl; nothing is mocked."""
import datetime
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
import uuid

import docker
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from binfmt_support import CALLBACKS, COLLECTIONS
from serve_certs import self_signed
from support import TEST_IMAGE, remove_builder_traces

LOCAL = 'unix:///var/run/docker.sock'
DOCKER2 = os.environ.get('BUILDKIT_FLEET_DOCKER2_HOST', 'unix:///run/buildkit-fleet/docker2.sock')
REGISTRY = os.environ.get('BUILDKIT_FLEET_REGISTRY', '127.0.0.1:5000')
BUILDCTL = os.environ.get('BUILDKIT_FLEET_BUILDCTL', '/var/cache/buildkit-fleet/buildkit-v0.32.2/buildctl')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Farm(object):
    """An inventory of two farm hosts on this machine and the controller as a client; runs playbooks against it."""

    def __init__(self, tmp_path, prefix):
        self.tmp, self.prefix = tmp_path, prefix
        self.pki = str(tmp_path / 'pki')
        self.builder = prefix + 'farm'
        self.hosts = {
            'farm-a': {'ansible_host': '127.0.0.1', 'farm_port': free_port(), 'farm_platforms': ['linux/amd64'],
                       'farm_docker_host': LOCAL, 'farm_tls_dir': str(tmp_path / 'hosts' / 'farm-a' / 'tls'),
                       'farm_buildx_config': str(tmp_path / 'hosts' / 'farm-a' / 'buildx')},
            'farm-b': {'ansible_host': '127.0.0.1', 'farm_port': free_port(), 'farm_platforms': ['linux/arm64'],
                       'farm_docker_host': DOCKER2, 'farm_tls_dir': str(tmp_path / 'hosts' / 'farm-b' / 'tls'),
                       'farm_buildx_config': str(tmp_path / 'hosts' / 'farm-b' / 'buildx'),
                       'farm_extra_sans': ['farm-b.example', '::1']},
        }
        self.client_buildx = str(tmp_path / 'client-buildx')
        self.common = {'farm_pki_dir': self.pki, 'farm_builder_name': self.builder, 'farm_clients': ['alice', 'ci-1'],
                       'farm_builder_options': {'pull': False, 'driver_opts': {'image': TEST_IMAGE}},
                       'farm_client_builder': prefix + 'client', 'farm_client_name': 'controller',
                       'farm_client_tls_dir': str(tmp_path / 'client-tls'),
                       'farm_client_buildx_config': self.client_buildx}
        self.count = 0

    def inventory(self):
        hosts = {name: dict(v) for name, v in self.hosts.items()}
        inv = {'all': {'children': {'farm': {'hosts': hosts}},
                       'hosts': {'controller': {'ansible_connection': 'local'}},
                       'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}
        path = self.tmp / 'inventory.json'
        path.write_text(json.dumps(inv))
        return str(path)

    def play(self, plays, check=False, diff=False, extra_vars=None, verbose=False, timeout=600):
        """Runs the plays; returns (rc, [(task name, host, result)], seconds, output)."""
        self.count += 1
        path = self.tmp / ('play%d.yml' % self.count)
        path.write_text(json.dumps(plays))
        cmd = ['ansible-playbook', '-i', self.inventory(), str(path)]
        cmd += ['-e', json.dumps(extra_vars)] if extra_vars else []
        cmd += ['--check'] if check else []
        cmd += ['--diff'] if diff else []
        cmd += ['-vvv'] if verbose else []
        env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_STDOUT_CALLBACK='results_json', ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                   ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0', ANSIBLE_FORKS='5',
                   ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([COLLECTIONS, os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')]))
        started = time.monotonic()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - started
        try:
            data = json.loads(proc.stdout[proc.stdout.index('{"tasks"'):].splitlines()[0])
        except ValueError:
            raise AssertionError('no json from ansible-playbook (rc %s):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr))
        results = [(t['name'], t['host'], t['result']) for t in data['tasks']]
        return proc.returncode, results, elapsed, proc.stdout + proc.stderr

    def role(self, tasks_from='main', hosts='farm', **role_vars):
        include = {'name': 'buildkit.fleet.farm'}
        if tasks_from != 'main':
            include['tasks_from'] = tasks_from
        return {'hosts': hosts, 'gather_facts': False,
                'tasks': [{'name': 'farm role', 'ansible.builtin.include_role': include, 'vars': dict(self.common, **role_vars)}]}

    def cert(self, *parts):
        with open(os.path.join(self.pki, *parts), 'rb') as handle:
            return x509.load_pem_x509_certificate(handle.read())


def changed(results):
    return [(name.split(' : ', 1)[-1], host) for name, host, res in results if res.get('changed')]


def failed(results):
    return [(name, host, res.get('msg')) for name, host, res in results if res.get('failed')]


def ok(outcome):
    rc, results, _seconds, out = outcome
    assert rc == 0 and not failed(results), out[-6000:]
    return results


@pytest.fixture
def farm(tmp_path, docker_client):
    prefix = 'fr%s' % uuid.uuid4().hex[:6]
    yield Farm(tmp_path, prefix)
    docker2 = docker.DockerClient(base_url=DOCKER2, timeout=120)
    remove_builder_traces(docker_client, prefix + 'farm0')
    remove_builder_traces(docker2, prefix + 'farm0')


def key_of(path):
    with open(path, 'rb') as handle:
        return serialization.load_pem_private_key(handle.read(), None)


def public_bytes(key):
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def signed_by(cert, ca):
    ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    return cert.issuer == ca.subject


def sans(cert):
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return sorted(['DNS:' + n for n in ext.get_values_for_type(x509.DNSName)]
                  + ['IP:' + str(a) for a in ext.get_values_for_type(x509.IPAddress)])


def usage(cert):
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---- certificates (controller side) ---------------------------------------------------------------------------

def test_certificates_check_mode_predicts_then_issue_then_nothing_changes(farm):
    certs = farm.role('certificates')
    results = ok(farm.play([certs], check=True))
    assert changed(results), 'check mode on a fresh farm predicts nothing'
    predicted = [item['msg'] for _n, _h, res in results for item in res.get('results', []) if 'issued by the real run' in str(item.get('msg'))]
    assert len(predicted) == 4, predicted  # two server certificates, two clients
    assert not os.path.exists(farm.pki), 'check mode wrote files'

    ok(farm.play([certs]))
    ca = farm.cert('ca', 'ca.pem')
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for host in ('farm-a', 'farm-b'):
        cert = farm.cert('servers', host, 'cert.pem')
        assert signed_by(cert, ca)
        assert usage(cert) == [ExtendedKeyUsageOID.SERVER_AUTH]
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == host
        assert public_bytes(key_of(os.path.join(farm.pki, 'servers', host, 'key.pem'))) == cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert sans(farm.cert('servers', 'farm-a', 'cert.pem')) == ['DNS:farm-a', 'IP:127.0.0.1']
    assert sans(farm.cert('servers', 'farm-b', 'cert.pem')) == ['DNS:farm-b', 'DNS:farm-b.example', 'IP:127.0.0.1', 'IP:::1']
    for client in ('alice', 'ci-1'):
        cert = farm.cert('clients', client, 'cert.pem')
        assert signed_by(cert, ca) and usage(cert) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        assert mode(os.path.join(farm.pki, 'clients', client, 'key.pem')) == 0o600
    assert mode(os.path.join(farm.pki, 'ca', 'ca-key.pem')) == 0o600
    assert mode(os.path.join(farm.pki, 'ca')) == 0o700 and mode(os.path.join(farm.pki, 'servers', 'farm-a')) == 0o700
    days = (farm.cert('servers', 'farm-a', 'cert.pem').not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)).days
    assert 363 <= days <= 365

    serials = {h: farm.cert('servers', h, 'cert.pem').serial_number for h in ('farm-a', 'farm-b')}
    results = ok(farm.play([certs]))
    assert changed(results) == []
    assert {h: farm.cert('servers', h, 'cert.pem').serial_number for h in ('farm-a', 'farm-b')} == serials

    # a new extra SAN re-issues that host's certificate only (same key)
    farm.hosts['farm-a']['farm_extra_sans'] = ['farm-a.example']
    results = ok(farm.play([certs]))
    assert farm.cert('servers', 'farm-b', 'cert.pem').serial_number == serials['farm-b']
    new_a = farm.cert('servers', 'farm-a', 'cert.pem')
    assert new_a.serial_number != serials['farm-a'] and 'DNS:farm-a.example' in sans(new_a)
    assert ('The certificates, signed by the CA on the controller - server', 'farm-a') in changed(results)


def own_ca(tmp_path, cn='Own CA', days=365, ca=True, passphrase=None):
    return self_signed(tmp_path, cn.replace(' ', '_'), cn, days=days, ca=ca, passphrase=passphrase)


def test_certificates_from_the_users_own_ca(farm, tmp_path):
    cert_path, key_path, ca = own_ca(tmp_path, passphrase='s3cret-pass')
    role = farm.role('certificates', farm_ca_cert=cert_path, farm_ca_key=key_path, farm_ca_key_passphrase='s3cret-pass')
    rc, results, _t, out = farm.play([role], verbose=True)
    assert rc == 0, out[-4000:]
    assert 's3cret-pass' not in out
    assert signed_by(farm.cert('servers', 'farm-b', 'cert.pem'), ca)
    assert signed_by(farm.cert('clients', 'alice', 'cert.pem'), ca)
    assert not os.path.exists(os.path.join(farm.pki, 'ca')), 'a CA was made although farm_ca_cert was given'
    assert changed(ok(farm.play([role]))) == []


@pytest.mark.parametrize('variables, named', [
    ({'farm_pki_dir': ''}, 'farm_pki_dir'),
    ({'farm_pki_dir': 'relative/pki'}, 'farm_pki_dir'),
    ({'farm_renew_days': 400}, 'farm_renew_days'),
    ({'farm_clients': ['ok', '../escape']}, 'farm_clients'),
    ({'farm_clients': ['twice', 'twice']}, 'farm_clients'),
    ({'farm_ca_cert': '/etc/hostname'}, 'farm_ca_cert and farm_ca_key'),
    ({'farm_port': 70000}, 'farm_port'),
    ({'farm_platforms': ['amd64']}, 'farm_platforms'),
    ({'farm_extra_sans': ['a b']}, 'farm_extra_sans'),
    ({'farm_builder_options': {'serve': {}}}, 'farm_builder_options'),
    ({'farm_cert_days': 'soon'}, 'farm_cert_days'),
])
def test_bad_role_inputs_fail_before_anything_changes(farm, variables, named):
    """Role-level bad input: the role fails at its start naming the variable; no file, no container."""
    rc, results, _t, out = farm.play([farm.role('main', **variables)])
    assert rc != 0
    messages = ' '.join(str(m) for _n, _h, m in failed(results)) or out
    assert named in messages, (messages, out[-3000:])
    assert changed(results) == [], changed(results)
    assert not os.path.exists(farm.pki)
    assert not any(os.path.exists(h['farm_tls_dir']) for h in farm.hosts.values())


def test_bad_own_ca_fails_naming_the_variable(farm, tmp_path):
    cert_path, _key, _ca = own_ca(tmp_path, cn='First')
    _c, other_key, _o = own_ca(tmp_path, cn='Second')
    leaf_cert, leaf_key, _l = own_ca(tmp_path, cn='Leaf', ca=False)
    for variables, expected in [
            ({'farm_ca_cert': cert_path, 'farm_ca_key': other_key}, 'farm_ca_key: %s does not belong to farm_ca_cert' % other_key),
            ({'farm_ca_cert': leaf_cert, 'farm_ca_key': leaf_key}, 'farm_ca_cert: %s is not a CA certificate' % leaf_cert),
            ({'farm_ca_cert': str(tmp_path / 'missing.pem'), 'farm_ca_key': leaf_key}, 'farm_ca_cert: %s is not a readable' % (tmp_path / 'missing.pem')),
            ({'farm_ca_cert': cert_path, 'farm_ca_key': '/etc/hostname'}, 'farm_ca_key: /etc/hostname is not a readable private key')]:
        rc, results, _t, out = farm.play([farm.role('main', **variables)])
        assert rc != 0
        assert expected in ' '.join(str(m) for _n, _h, m in failed(results)), out[-3000:]
        assert not os.path.exists(farm.pki)


# ---- the whole farm: serving builders on two daemons, the controller as a client --------------------------------

REGISTRY_CONFIG = '[registry."%s"]\n  http = true\n  insecure = true\n' % REGISTRY
DOCKERFILE = ('FROM scratch\nARG TARGETARCH\nCOPY bb-${TARGETARCH} /bin/busybox\n'
              'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox uname -m > /arch"]\n')
BUSYBOX_DIR = os.environ.get('BUILDKIT_FLEET_BUSYBOX_DIR', '/var/cache/buildkit-fleet/busybox')


def site(farm, check=False, diff=False, verbose=False, **role_vars):
    """The playbook a user writes: the farm role on the farm's hosts, then one task gives the controller the farm."""
    return farm.play([farm.role('main', **role_vars), farm.role('client', hosts='controller', **role_vars)],
                     check=check, diff=diff, verbose=verbose)


def served_serial(farm, host):
    """The serial of the certificate the node serves, read in a TLS handshake with the client certificate."""
    import ssl
    tls = os.path.join(str(farm.tmp), 'client-tls')
    ctx = ssl.create_default_context(cafile=os.path.join(tls, 'ca.pem'))
    ctx.load_cert_chain(os.path.join(tls, 'client.pem'), os.path.join(tls, 'client-key.pem'))
    with socket.create_connection(('127.0.0.1', farm.hosts[host]['farm_port']), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as conn:
            return x509.load_der_x509_certificate(conn.getpeercert(binary_form=True)).serial_number


def histories(farm, host):
    """The build records of a node, read over the farm's TLS port with the client certificate (buildctl)."""
    tls = os.path.join(str(farm.tmp), 'client-tls')
    proc = subprocess.run([BUILDCTL, '--addr', 'tcp://127.0.0.1:%d' % farm.hosts[host]['farm_port'], '--tlsservername', host,
                           '--tlscacert', os.path.join(tls, 'ca.pem'), '--tlscert', os.path.join(tls, 'client.pem'),
                           '--tlskey', os.path.join(tls, 'client-key.pem'), 'debug', 'histories', '--format', 'json'],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    decoder, text, records, pos = json.JSONDecoder(), proc.stdout.strip(), [], 0
    while pos < len(text):
        obj, end = decoder.raw_decode(text, pos)
        records.append(obj.get('record', obj))
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return records


def client_build(farm, tag, ctx):
    env = dict(os.environ, BUILDX_CONFIG=farm.client_buildx)
    proc = subprocess.run(['docker', 'buildx', 'build', '--builder', farm.common['farm_client_builder'], '--progress', 'plain',
                           '--platform', 'linux/amd64,linux/arm64', '-t', tag, '--push', str(ctx)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stderr


def registry_index(repo, ref):
    import urllib.request
    request = urllib.request.Request('http://%s/v2/%s/manifests/%s' % (REGISTRY, repo, ref), headers={
        'Accept': 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_farm_and_client_converge_build_natively_and_renew(farm, docker_client, tmp_path):
    docker2 = docker.DockerClient(base_url=DOCKER2, timeout=120)
    daemons = {'farm-a': docker_client, 'farm-b': docker2}
    node = farm.builder + '0'
    # Builders on the host network: the nodes push to the registry on 127.0.0.1 (published-port serving, the role's
    # default, is proven by buildkit_builders' own tests); the short validity lets the defaults renew later.
    farm.common.update({'farm_cert_days': 20, 'farm_renew_days': 10, 'farm_builder_options': {
        'pull': False, 'driver_opts': {'image': TEST_IMAGE, 'network': 'host'}, 'buildkitd_config_inline': REGISTRY_CONFIG}})

    # check mode on a fresh farm and a fresh client: predicted, nothing made
    results = ok(site(farm, check=True))
    hosts_changed = {host for _n, host in changed(results)}
    assert hosts_changed == {'farm-a', 'farm-b', 'controller'}, changed(results)
    predicted = ' '.join(str(res.get('msg')) for name, _h, res in results if 'Predict the' in name and res.get('changed'))
    assert 'converges builder %s serving on 0.0.0.0:%d' % (farm.builder, farm.hosts['farm-a']['farm_port']) in predicted
    assert 'writes builder %s' % farm.common['farm_client_builder'] in predicted
    assert not os.path.exists(farm.pki) and not os.path.exists(farm.client_buildx)
    assert all(not d.containers.list(all=True, filters={'name': 'buildx_buildkit_' + node}) for d in daemons.values())

    # converge (with --diff and -vvv: no key material anywhere in the output)
    rc, results, seconds, out = site(farm, diff=True, verbose=True)
    assert rc == 0 and not failed(results), out[-6000:]
    assert 'PRIVATE KEY' not in out and 'BEGIN EC' not in out
    for host, daemon in daemons.items():
        info = daemon.api.inspect_container('buildx_buildkit_' + node)
        assert info['State']['Running'], host
        tls = farm.hosts[host]['farm_tls_dir']
        assert mode(os.path.join(tls, 'server-key.pem')) == 0o600 and mode(os.path.join(tls, 'ca.pem')) == 0o644
        assert sorted(os.listdir(tls)) == ['ca.pem', 'server-key.pem', 'server.pem']  # no CA key on a host
    assert mode(os.path.join(str(tmp_path), 'client-tls', 'client-key.pem')) == 0o600
    volumes = {h: d.api.inspect_volume('buildx_buildkit_%s_state' % node)['CreatedAt'] for h, d in daemons.items()}
    serials = {h: served_serial(farm, h) for h in daemons}
    assert serials == {h: farm.cert('servers', h, 'cert.pem').serial_number for h in daemons}

    # the second converge of farm and client: nothing changes
    rc, results, seconds, out = site(farm)
    assert rc == 0 and changed(results) == [], (changed(results), out[-4000:])

    # F2: the fresh client builds a 2-platform image through the farm and pushes it
    ctx = tmp_path / 'ctx'
    ctx.mkdir()
    (ctx / 'Dockerfile').write_text(DOCKERFILE)
    for arch in ('amd64', 'arm64'):
        shutil.copy(os.path.join(BUSYBOX_DIR, 'bb-' + arch), str(ctx / ('bb-' + arch)))
    repo = farm.prefix + '/farm'
    client_build(farm, '%s/%s:1' % (REGISTRY, repo), ctx)
    index = registry_index(repo, '1')
    platforms = sorted('%s/%s' % (m['platform']['os'], m['platform']['architecture']) for m in index['manifests']
                       if m['platform']['os'] != 'unknown')
    assert platforms == ['linux/amd64', 'linux/arm64'], index

    # F4: each platform's build record exists only on its own node
    for host, platform in (('farm-a', 'linux/amd64'), ('farm-b', 'linux/arm64')):
        records = [r for r in histories(farm, host) if any(e.get('Attrs', {}).get('name', '').startswith('%s/%s' % (REGISTRY, repo))
                                                           for e in r.get('Exporters', []))]
        assert [r['FrontendAttrs'].get('platform') for r in records] == [platform], (host, records)

    # renewal: the defaults (365 days, renew inside 30) find the 20-day certificates due; the node serves the new
    # serial, its state volume is the same, and a rebuild from the client is all cached
    del farm.common['farm_cert_days'], farm.common['farm_renew_days']
    results = ok(site(farm, check=True))
    assert ('The certificates, signed by the CA on the controller - server', 'farm-a') in changed(results)
    assert {h: served_serial(farm, h) for h in daemons} == serials
    ok(site(farm))
    for host, daemon in daemons.items():
        assert served_serial(farm, host) != serials[host], host
        assert served_serial(farm, host) == farm.cert('servers', host, 'cert.pem').serial_number
        assert daemon.api.inspect_volume('buildx_buildkit_%s_state' % node)['CreatedAt'] == volumes[host], host
    log = client_build(farm, '%s/%s:2' % (REGISTRY, repo), ctx)
    steps = set(re.findall(r'^#(\d+) \[(?:linux/\w+ )?\d+/\d+\] (?:RUN|COPY)', log, re.M))
    assert len(steps) == 4 and all(re.search(r'^#%s CACHED' % step, log, re.M) for step in steps), log
    rc, results, seconds, out = site(farm)
    assert rc == 0 and changed(results) == [], (changed(results), out[-4000:])


def test_port_in_use_and_unreachable_farm_fail_naming_them(farm, docker_client):
    """A farm port some process holds fails the host naming serve.port and the port, with no builder left; a client
    given a farm that does not serve yet fails naming the endpoint, with nothing written into its buildx store."""
    port = farm.hosts['farm-a']['farm_port']
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(('0.0.0.0', port))
        holder.listen(1)
        rc, results, _t, out = farm.play([farm.role('main', hosts='farm-a')])
    assert rc != 0
    messages = ' '.join(str(m) for _n, host, m in failed(results) if host == 'farm-a')
    assert 'serve.port' in messages and str(port) in messages, out[-4000:]
    assert not docker_client.containers.list(all=True, filters={'name': 'buildx_buildkit_%s0' % farm.builder})

    rc, results, _t, out = farm.play([farm.role('client', hosts='controller')])
    assert rc != 0
    messages = ' '.join(str(m) for _n, _h, m in failed(results))
    assert 'tcp://127.0.0.1:%d' % port in messages and 'nodes[0]' in messages, out[-4000:]
    assert not os.path.exists(os.path.join(farm.client_buildx, 'instances', farm.common['farm_client_builder']))

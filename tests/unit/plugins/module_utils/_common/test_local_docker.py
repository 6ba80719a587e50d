"""LocalClient against a fake daemon on a real unix socket: what it answers itself, what it hands to the SDK
client (error answers, other calls), the ping, the exec stream; connect() gives it only to plain unix sockets.
The real daemon is tests/integration (every builder test converges through it)."""
import json
import os
import socket
import tempfile
import threading

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
from ansible_collections.buildkit.fleet.plugins.module_utils._common import local_docker as ld


class FakeDaemon(object):
    """Answers each request with routes[(method, path)] = (status, headers, body bytes); records requests."""

    def __init__(self, routes):
        self.routes, self.requests = routes, []
        self.dir = tempfile.mkdtemp(prefix='bkf-ld-')
        self.path = os.path.join(self.dir, 'docker.sock')
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)
        thread = threading.Thread(target=self._serve)
        thread.daemon = True
        thread.start()

    def _serve(self):
        while True:
            conn, _addr = self.server.accept()
            data = b''
            while b'\r\n\r\n' not in data:
                data += conn.recv(65536)
            head, _sep, body = data.partition(b'\r\n\r\n')
            length = int(([line.split(b':')[1] for line in head.split(b'\r\n') if line.lower().startswith(b'content-length')]
                          or [b'0'])[0])
            while len(body) < length:
                body += conn.recv(65536)
            method, url = head.split(b' ')[:2]
            self.requests.append((method.decode(), url.decode(), json.loads(body) if body else None))
            status, headers, answer = self.routes.get((method.decode(), url.decode().split('?')[0]), (404, {}, b'{}'))
            extra = ''.join('%s: %s\r\n' % item for item in headers.items())
            conn.sendall(('HTTP/1.1 %d X\r\n%s\r\n' % (status, extra)).encode() + answer)
            conn.close()


class Sdk(object):
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.calls.append((name, args))
            return 'sdk:' + name
        return call


def client(daemon, sdk=None):
    sdk = sdk or Sdk()
    return ld.LocalClient(daemon.path, '1.45', 5, 'unix://' + daemon.path, lambda: sdk), sdk


def frame(kind, payload):
    return bytes([kind, 0, 0, 0]) + len(payload).to_bytes(4, 'big') + payload


def test_ping_reads_the_api_version():
    daemon = FakeDaemon({('GET', '/_ping'): (200, {'Api-Version': '1.51'}, b'OK')})
    assert ld.ping(daemon.path, 5) == '1.51'


def test_no_socket_is_unavailable():
    with pytest.raises(ld.LocalUnavailable):
        ld.ping('/nonexistent/docker.sock', 1)


def test_inspect_answers_and_a_missing_object_is_none_without_the_sdk():
    daemon = FakeDaemon({('GET', '/v1.45/containers/c/json'): (200, {}, b'{"Id": "abc"}'),
                         ('GET', '/v1.45/images/reg:5000/img:tag/json'): (200, {}, b'{"Id": "sha256:1"}')})
    local, sdk = client(daemon)
    assert local.inspect_or_none('containers', 'c') == {'Id': 'abc'}
    assert local.inspect_or_none('images', 'reg:5000/img:tag') == {'Id': 'sha256:1'}
    assert local.inspect_or_none('volumes', 'v') is None
    assert sdk.calls == []


def test_an_error_answer_is_asked_again_through_the_sdk():
    daemon = FakeDaemon({('GET', '/v1.45/networks/n'): (500, {}, b'{"message": "boom"}'),
                         ('POST', '/v1.45/containers/c/start'): (500, {}, b'{"message": "cannot start"}')})
    local, sdk = client(daemon)
    assert local.inspect_or_none('networks', 'n') == 'sdk:inspect_network'
    local.start('c')
    assert sdk.calls == [('inspect_network', ('n',)), ('start', ('c',))]


def test_other_calls_go_to_the_sdk_and_private_names_do_not():
    daemon = FakeDaemon({})
    local, sdk = client(daemon)
    assert local.create_container('img') == 'sdk:create_container'
    assert getattr(local, 'buildkit_fleet_info', None) is None
    assert sdk.calls == [('create_container', ('img',))]


def test_exec_round_trip_demuxes_the_stream():
    stream = frame(1, b'[{"id": "w"}]') + frame(2, b'warning\n')
    daemon = FakeDaemon({('POST', '/v1.45/containers/c/exec'): (201, {}, b'{"Id": "e1"}'),
                         ('POST', '/v1.45/exec/e1/start'): (200, {'Content-Type': 'application/vnd.docker.raw-stream'}, stream),
                         ('GET', '/v1.45/exec/e1/json'): (200, {}, b'{"ExitCode": 0}')})
    local, sdk = client(daemon)
    exec_id = local.exec_create('c', ['buildctl', 'debug', 'workers'], stdout=True, stderr=True)['Id']
    assert local.exec_start(exec_id, demux=True) == (b'[{"id": "w"}]', b'warning\n')
    assert local.exec_inspect(exec_id) == {'ExitCode': 0}
    assert daemon.requests[0][2]['Cmd'] == ['buildctl', 'debug', 'workers']
    assert sdk.calls == []


def test_connect_local_first_only_for_a_plain_unix_socket():
    daemon = FakeDaemon({('GET', '/_ping'): (200, {'Api-Version': '1.51'}, b'OK')})
    params = dict(docker_host='unix://' + daemon.path, api_version='auto', timeout=5, tls=False,
                  validate_certs=False, ca_path=None, client_cert=None, client_key=None)
    local = dc.connect(params, local_first=True)
    assert isinstance(local, ld.LocalClient) and local.api_version == '1.45'
    assert local.buildkit_fleet_host == 'unix://' + daemon.path
    assert not isinstance(dc.connect(params, local_first=False), ld.LocalClient)
    assert not isinstance(dc.connect(dict(params, tls=True), local_first=True), ld.LocalClient)


def test_an_old_daemon_is_refused_on_the_local_path_too():
    daemon = FakeDaemon({('GET', '/_ping'): (200, {'Api-Version': '1.40'}, b'OK')})
    params = dict(docker_host='unix://' + daemon.path, api_version='auto', timeout=5)
    with pytest.raises(dc.DockerConnectionError) as err:
        dc.connect(params, local_first=True)
    assert '1.40' in str(err.value)


def test_sdk_version_is_read_without_importing_it():
    assert dc._sdk_version_unimported() == dc.docker.__version__
    assert dc.sdk_problem() is None


@pytest.mark.parametrize('ref, expected', [
    ('moby/buildkit:v0.32.2', ('moby/buildkit', 'v0.32.2')),
    ('localhost:5000/buildkit', ('localhost:5000/buildkit', 'latest')),
    ('localhost:5000/buildkit:v1', ('localhost:5000/buildkit', 'v1')),
    ('reg/img@sha256:abc', ('reg/img', 'sha256:abc')),
])
def test_repository_tag_splits_as_the_sdk(ref, expected):
    assert ld.repository_tag(ref) == expected


def test_credentials_send_the_pull_to_the_sdk(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    assert not ld.credentials_configured({})
    (tmp_path / '.docker').mkdir()
    (tmp_path / '.docker' / 'config.json').write_text('{"auths": {}}')
    assert not ld.credentials_configured({})
    (tmp_path / '.docker' / 'config.json').write_text('{"credsStore": "pass"}')
    assert ld.credentials_configured({})
    daemon = FakeDaemon({})
    local, _sdk = client(daemon)
    assert local.pull_without_sdk('img:1') is NotImplemented


def test_pull_failures_read_as_the_sdks_errors(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.delenv('DOCKER_CONFIG', raising=False)
    daemon = FakeDaemon({('POST', '/v1.45/images/create'): (500, {}, b'{"message": "no route"}')})
    local, sdk = client(daemon)
    expected = '500 Server Error for http+docker://localhost/v1.45/images/create?tag=1&fromImage=reg%2Fimg: X ("no route")'
    assert local.pull_without_sdk('reg/img:1') == expected
    streamed = FakeDaemon({('POST', '/v1.45/images/create'): (200, {}, b'{"status": "Pulling"}\r\n{"error": "denied"}\r\n')})
    assert client(streamed)[0].pull_without_sdk('img') == 'denied'
    fine = FakeDaemon({('POST', '/v1.45/images/create'): (200, {}, b'{"status": "Downloaded newer image"}\r\n')})
    assert client(fine)[0].pull_without_sdk('img') is None
    assert sdk.calls == []


def test_get_archive_answers_chunks_and_stat_and_errors_go_to_the_sdk():
    import base64
    stat = base64.b64encode(b'{"name": "buildkitd.toml", "size": 13}').decode()
    daemon = FakeDaemon({('GET', '/v1.45/containers/c/archive'): (200, {'X-Docker-Container-Path-Stat': stat}, b'TAR')})
    local, sdk = client(daemon)
    assert local.get_archive('c', '/etc/buildkit/buildkitd.toml') == ([b'TAR'], {'name': 'buildkitd.toml', 'size': 13})
    assert local.get_archive('missing', '/x') == 'sdk:get_archive'
    assert sdk.calls == [('get_archive', ('missing', '/x'))]

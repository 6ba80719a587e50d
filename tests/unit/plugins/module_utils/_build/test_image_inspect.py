"""Image inspect of load outputs: one request on a local socket, the SDK for other endpoints."""
import json
import os
import socket
import threading

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._build import image_inspect
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import TaskFailed


def test_local_socket():
    assert image_inspect.local_socket({}) == '/var/run/docker.sock'
    assert image_inspect.local_socket({'docker_host': 'unix:///run/d.sock'}) == '/run/d.sock'
    assert image_inspect.local_socket({'docker_host': 'tcp://h:2375'}) is None
    assert image_inspect.local_socket({'docker_host': 'ssh://u@h'}) is None
    assert image_inspect.local_socket({'docker_host': 'unix:///run/d.sock', 'tls': True}) is None


@pytest.fixture
def daemon(tmp_path):
    """A socket answering like the Docker daemon: known images, 404 for others, 500 for 'broken'."""
    path = str(tmp_path / 'd.sock')
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(5)
    requests = []

    def serve():
        while True:
            try:
                conn, _addr = server.accept()
            except OSError:
                return
            with conn:  # one HTTP/1.0 request per connection, closed after the answer
                reader = conn.makefile('rb')
                line = reader.readline()
                url = line.split()[1].decode()
                while reader.readline() not in (b'\r\n', b''):
                    pass
                requests.append(url)
                if url.endswith('/app:dev/json'):
                    status, body = '200 OK', {'Id': 'sha256:abc', 'Config': {'Labels': {'a': 'b'}}}
                elif 'broken' in url:
                    status, body = '500 Internal Server Error', {'message': 'disk on fire'}
                else:
                    status, body = '404 Not Found', {'message': 'No such image'}
                data = json.dumps(body).encode()
                if 'chunked' in url:
                    conn.sendall(('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n' % 5).encode()
                                 + b'{"Id"\r\n6\r\n:"x1"}\r\n0\r\n\r\n')
                else:
                    conn.sendall(('HTTP/1.0 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n'
                                  % (status, len(data))).encode() + data)
                reader.close()
                conn.shutdown(socket.SHUT_RDWR)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path, requests
    server.close()


def test_inspect_over_the_socket(daemon):
    path, requests = daemon
    inspector = image_inspect.ImageInspector({'docker_host': 'unix://' + path, 'api_version': 'auto'})
    assert inspector.inspect('app:dev')['Config']['Labels'] == {'a': 'b'}
    assert inspector.inspect('other:1') is None
    with pytest.raises(TaskFailed, match='cannot inspect image registry/broken:1: 500 disk on fire'):
        inspector.inspect('registry/broken:1')
    assert inspector.inspect('chunked:1') == {'Id': 'x1'}
    assert requests[0] == '/images/app:dev/json'
    versioned = image_inspect.ImageInspector({'docker_host': 'unix://' + path, 'api_version': '1.44'})
    assert versioned.inspect('nothing') is None and requests[-1] == '/v1.44/images/nothing/json'


def test_a_missing_socket_names_the_daemon(tmp_path):
    inspector = image_inspect.ImageInspector({'docker_host': 'unix://%s' % os.path.join(str(tmp_path), 'none.sock')})
    with pytest.raises(TaskFailed, match='Cannot reach the Docker daemon at unix://.*none.sock'):
        inspector.inspect('app:dev')

"""A Docker connection that drops under a request (as ssh:// and tcp:// endpoints do) is made anew and the builder
converged again: a real TCP proxy to the real daemon resets the connection of the first `exec start`."""
import os
import socket
import struct
import threading

import pytest

from support import TEST_IMAGE, container, store_files

DOCKER_SOCK = '/var/run/docker.sock'


class DroppingProxy(object):
    """tcp://127.0.0.1:PORT -> the daemon's unix socket; resets the connection carrying the first request that
    contains every marker."""

    def __init__(self, markers):
        self.markers, self.dropped = markers, 0
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(('127.0.0.1', 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _addr = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(DOCKER_SOCK)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source, dest, inspect):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if inspect and not self.dropped and all(m in data for m in self.markers):
                    self.dropped += 1
                    source.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))  # RST
                    break
                dest.sendall(data)
        except OSError:
            pass
        for sock in (source, dest):  # shutdown first: it wakes the other direction's blocked recv
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self):
        self.server.close()


@pytest.fixture
def proxy():
    found = DroppingProxy([b'POST ', b'/exec/', b'/start'])
    yield found
    found.close()


def test_a_dropped_connection_is_made_anew_and_the_builder_converges(ansible, builder, docker_client, buildx_config, proxy):
    name = builder('drop')
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                     docker_host='tcp://127.0.0.1:%d' % proxy.port, driver_opts={'image': TEST_IMAGE})
    assert proxy.dropped == 1
    assert not result.get('failed') and result['changed'], result
    assert any('broke once' in note for note in result['notes']), result['notes']
    assert container(docker_client, name + '0')['State']['Running']
    assert os.path.join('instances', name) in store_files(buildx_config)
    again = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                    docker_host='tcp://127.0.0.1:%d' % proxy.port, driver_opts={'image': TEST_IMAGE})
    assert again['changed'] is False and not again.get('failed'), again

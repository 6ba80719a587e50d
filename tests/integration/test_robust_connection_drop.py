"""A Docker connection that drops under a request (as ssh:// and tcp:// endpoints do) is made anew and the builder
converged again: a real TCP proxy to the real daemon resets the connection of the first `exec start`."""
import os
import socket
import struct

import pytest

from robust_support import DaemonProxy
from support import TEST_IMAGE, container, store_files


class DroppingProxy(DaemonProxy):
    """Resets the connection carrying the first request that contains every marker."""

    def __init__(self, markers):
        self.dropped = 0
        super(DroppingProxy, self).__init__(markers, self._drop)

    def _drop(self, source):
        if self.dropped:
            return True
        self.dropped += 1
        source.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))  # RST
        return False


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

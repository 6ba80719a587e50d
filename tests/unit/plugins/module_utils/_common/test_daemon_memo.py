"""The `docker info` fields a converge reads are kept per daemon process of a local socket (a real unix socket
served by this test process: SO_PEERCRED names it), and asked again for another process or another endpoint."""
import json
import os
import shutil
import socket
import tempfile

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common import daemon_memo

INFO = {'ID': 'D:1', 'NCPU': 2, 'CgroupDriver': 'cgroupfs', 'SecurityOptions': ['name=seccomp'],
        'ServerVersion': '29.0', 'Containers': 12}


@pytest.fixture
def daemon():
    top = tempfile.mkdtemp(prefix='bkf-dm-')
    path = os.path.join(top, 'docker.sock')
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    yield {'path': path, 'memo': os.path.join(top, 'memo', 'daemons.json')}
    server.close()
    shutil.rmtree(top, ignore_errors=True)


class Client(object):
    def __init__(self, host):
        self.buildkit_fleet_host = host
        self.asked = 0

    def info(self):
        self.asked += 1
        return dict(INFO)


def test_the_daemon_process_is_the_sockets_peer(daemon):
    found = daemon_memo.daemon_process(daemon['path'])
    assert found[0] == os.path.realpath(daemon['path']) and found[1] == os.getpid()
    assert daemon_memo.daemon_process(daemon['path'] + '.missing') is None


def test_the_fields_are_asked_once_per_daemon_process(daemon):
    client = Client('unix://' + daemon['path'])
    memo = daemon_memo.DaemonMemo(daemon['memo'])
    assert memo.info(client)['Containers'] == 12  # the first answer is the daemon's own
    again = memo.info(client)
    assert client.asked == 1
    assert again == dict((f, INFO[f]) for f in daemon_memo.FIELDS)


def test_another_daemon_process_is_asked_again(daemon):
    client = Client('unix://' + daemon['path'])
    memo = daemon_memo.DaemonMemo(daemon['memo'])
    memo.info(client)
    with open(daemon['memo']) as handle:
        known = json.load(handle)
    for entry in known.values():
        entry['key'][2] = '1'  # as if the daemon had been restarted: another start time
    with open(daemon['memo'], 'w') as handle:
        json.dump(known, handle)
    memo.info(client)
    assert client.asked == 2


@pytest.mark.parametrize('host', ['tcp://10.0.0.1:2375', 'ssh://u@h', None])
def test_other_endpoints_are_always_asked(daemon, host):
    client = Client(host)
    memo = daemon_memo.DaemonMemo(daemon['memo'])
    memo.info(client)
    memo.info(client)
    assert client.asked == 2 and not os.path.exists(daemon['memo'])

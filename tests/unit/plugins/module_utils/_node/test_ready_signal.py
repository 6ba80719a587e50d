"""The readiness signal of a just started node: buildkitd's log line read from a (fake) daemon on a real unix
socket, the daemon's `since`, endpoints that get no signal, and wait_ready asking the workers once the line came."""
import os
import socket
import tempfile
import threading
import time

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._node import container as ops
from ansible_collections.buildkit.fleet.plugins.module_utils._node import ready_signal as rs

STARTED = {'State': {'StartedAt': '2026-12-05T21:04:19.147140491Z', 'Running': True}}
LINE = b'time="2026-12-05T21:04:19Z" level=info msg="running server on /run/buildkit/buildkitd.sock"\n'
WORKERS = '[{"id": "w", "platforms": [{"os": "linux", "architecture": "amd64"}], "buildkitVersion": {"version": "v0.32.2"}}]'


def frame(payload, stream=2):
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, 'big') + payload


class FakeDaemon(object):
    """Answers one request on a unix socket with `parts` (bytes, or a float: pause), then closes (or not)."""

    def __init__(self, parts, close=True):
        self.dir = tempfile.mkdtemp(prefix='bkf-sig-')
        self.path = os.path.join(self.dir, 'docker.sock')
        self.requests = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(1)
        self.thread = threading.Thread(target=self._serve, args=(parts, close))
        self.thread.daemon = True
        self.thread.start()

    def _serve(self, parts, close):
        conn, _addr = self.server.accept()
        self.requests.append(conn.recv(65536))
        for part in parts:
            if isinstance(part, float):
                time.sleep(part)
            else:
                conn.sendall(part)
        if close:
            conn.close()
        else:
            time.sleep(3)
            conn.close()


class Client(object):
    _version = '1.45'

    def __init__(self, host):
        self.buildkit_fleet_host = host
        self.execs = 0

    def inspect_container(self, name):
        return STARTED

    def exec_create(self, container, cmd, stdout, stderr):
        return {'Id': 'e%d' % self.execs}

    def exec_start(self, exec_id, demux):
        self.execs += 1
        return WORKERS.encode('utf-8'), b''

    def exec_inspect(self, exec_id):
        return {'ExitCode': 0}


HEAD = b'HTTP/1.0 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n'


def test_the_line_split_over_reads_is_seen_and_the_request_asks_since_the_start():
    daemon = FakeDaemon([HEAD, frame(b'level=info msg="found 1 workers"\n'), 0.05, frame(LINE)[:30], 0.05,
                         frame(LINE)[30:]], close=False)
    watch = rs.watch_started(Client('unix://' + daemon.path), 'buildx_buildkit_a0', STARTED)
    try:
        assert watch.wait(time.monotonic() + 5) is True
    finally:
        watch.close()
    request = daemon.requests[0].decode('ascii')
    assert request.startswith('GET /v1.45/containers/buildx_buildkit_a0/logs?follow=1&stdout=1&stderr=1'
                              '&since=1796504659.147140491 HTTP/1.0')


def test_a_stream_that_ends_without_the_line_is_ended_not_seen():
    daemon = FakeDaemon([HEAD, frame(b'level=fatal msg="bad flag"\n')])
    watch = rs.watch_started(Client('unix://' + daemon.path), 'c', STARTED)
    assert watch.wait(time.monotonic() + 5) is False
    assert watch.ended and not watch.seen
    watch.close()


def test_an_error_answer_ends_the_watch():
    daemon = FakeDaemon([b'HTTP/1.0 404 Not Found\r\n\r\n{"message": "No such container: c"}'])
    watch = rs.watch_started(Client('unix://' + daemon.path), 'c', STARTED)
    assert watch.wait(time.monotonic() + 5) is False
    assert watch.ended
    watch.close()


def test_no_line_yet_returns_at_the_deadline():
    daemon = FakeDaemon([HEAD], close=False)
    watch = rs.watch_started(Client('unix://' + daemon.path), 'c', STARTED)
    started = time.monotonic()
    assert watch.wait(started + 0.2) is False
    assert 0.15 < time.monotonic() - started < 2 and not watch.ended
    watch.close()


@pytest.mark.parametrize('host', ['tcp://10.0.0.1:2375', 'ssh://user@host', None])
def test_remote_endpoints_get_no_signal(host):
    assert rs.watch_started(Client(host), 'c', STARTED) is None


def test_no_start_time_or_no_socket_gets_no_signal():
    assert rs.watch_started(Client('unix:///var/run/docker.sock'), 'c', {'State': {}}) is None
    assert rs.watch_started(Client('unix:///nonexistent/docker.sock'), 'c', STARTED) is None


def test_wait_ready_asks_once_after_the_line():
    daemon = FakeDaemon([HEAD, 0.3, frame(LINE)], close=False)
    client = Client('unix://' + daemon.path)
    started = time.monotonic()
    workers = ops.wait_ready(client, 'c', 10, just_started=True)
    assert workers[0]['buildkit_version'] == 'v0.32.2'
    assert client.execs == 1
    assert time.monotonic() - started >= 0.25


class EarlyClient(Client):
    """buildkitd that answers `null` (no worker registered yet) to the first `answers_empty` asks."""

    def __init__(self, answers_empty):
        super(EarlyClient, self).__init__(None)
        self.answers_empty = answers_empty

    def exec_start(self, exec_id, demux):
        self.execs += 1
        return (b'null' if self.execs <= self.answers_empty else WORKERS.encode('utf-8')), b''


def test_an_answer_without_workers_is_asked_again():
    client = EarlyClient(answers_empty=2)
    workers = ops.wait_ready(client, 'c', 10)
    assert workers[0]['buildkit_version'] == 'v0.32.2'
    assert client.execs == 3


def test_an_answer_without_workers_until_the_deadline_is_returned_not_failed():
    client = EarlyClient(answers_empty=1000)
    started = time.monotonic()
    assert ops.wait_ready(client, 'c', 0.5) == []
    assert time.monotonic() - started < 3

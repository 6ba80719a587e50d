"""A local node answered without a docker exec: the pid is checked to be the container's, buildkitd is asked
with the HTTP/2 preface on its socket (real unix sockets here), and the remembered workers are answered only
while the container start and the emulators are those they were asked under."""
import os
import shutil
import socket
import tempfile
import threading

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._node import liveness

CONTAINER_ID = 'c0ffee' * 10 + 'abcd'
WORKERS = [{'id': 'w', 'platforms': ['linux/amd64'], 'labels': {}, 'gc_policy': [], 'buildkit_version': 'v0.32.2'}]


def inspect(pid=4242, running=True, paused=False, started='2026-12-06T03:00:00.1Z'):
    return {'Id': CONTAINER_ID, 'State': {'Pid': pid, 'Running': running, 'Paused': paused, 'StartedAt': started}}


class Server(object):
    """A unix socket server: `answer` is sent after the 33 bytes of preface and SETTINGS (None: never answers)."""

    def __init__(self, path, answer):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.answer, self.held = answer, []
        thread = threading.Thread(target=self._serve)
        thread.daemon = True
        thread.start()

    def _serve(self):
        while True:
            try:
                conn = self.sock.accept()[0]
            except OSError:
                return
            self.held.append(conn)
            got = b''
            while len(got) < len(liveness.PREFACE):
                chunk = conn.recv(64)
                if not chunk:
                    break
                got += chunk
            if self.answer is not None and got == liveness.PREFACE:
                conn.sendall(self.answer)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def host():
    """A fake /proc with the container's process 4242 (its cgroup names the container), buildkitd's socket in
    its root, and a binfmt_misc directory with one emulator."""
    top = tempfile.mkdtemp(prefix='bkf-lv-')  # short: unix socket paths are limited to 108 bytes
    proc = os.path.join(top, 'p')
    os.makedirs(os.path.join(proc, '4242', 'root', 'run', 'buildkit'))
    with open(os.path.join(proc, '4242', 'cgroup'), 'w') as handle:
        handle.write('0::/docker/buildx/%s\n' % CONTAINER_ID)
    binfmt = os.path.join(top, 'b')
    os.makedirs(binfmt)
    for name, text in (('qemu-aarch64', 'enabled\ninterpreter /usr/bin/qemu-aarch64\n'), ('status', 'enabled\n')):
        with open(os.path.join(binfmt, name), 'w') as handle:
            handle.write(text)
    servers = []

    def serve(answer=b'\x00\x00\x06\x04\x00\x00\x00\x00\x00'):
        servers.append(Server(os.path.join(proc, '4242', 'root', liveness.BUILDKITD_SOCKET), answer))
    yield {'top': top, 'proc': proc, 'binfmt': binfmt, 'serve': serve,
           'memo': liveness.WorkersMemo(os.path.join(top, 'memo'), proc=proc, binfmt=binfmt)}
    for server in servers:
        server.close()
    shutil.rmtree(top, ignore_errors=True)


class Client(object):
    def __init__(self, host='unix:///var/run/docker.sock'):
        self.buildkit_fleet_host = host


def test_process_root_is_the_containers_own_process(host):
    assert liveness.process_root(inspect(), host['proc']) == os.path.join(host['proc'], '4242', 'root')


@pytest.mark.parametrize('state', [dict(running=False), dict(paused=True), dict(pid=0), dict(pid=7)])
def test_no_process_root_when_not_running_paused_or_another_process(host, state):
    assert liveness.process_root(inspect(**state), host['proc']) is None


def test_no_process_root_when_the_pid_belongs_to_something_else(host):
    with open(os.path.join(host['proc'], '4242', 'cgroup'), 'w') as handle:
        handle.write('0::/user.slice\n')  # a daemon in another pid namespace: the pid is someone else
    assert liveness.process_root(inspect(), host['proc']) is None


def test_serves_needs_the_settings_answer(host):
    path = os.path.join(host['proc'], '4242', 'root', liveness.BUILDKITD_SOCKET)
    assert liveness.serves(path, 0.2) is False  # no socket
    host['serve'](answer=b'HTTP/1.1 400 Bad Request\r\n\r\n')
    assert liveness.serves(path, 0.5) is False
    os.unlink(path)
    host['serve']()
    assert liveness.serves(path, 0.5) is True


def test_a_socket_that_accepts_and_never_answers_is_not_serving(host):
    host['serve'](answer=None)
    path = os.path.join(host['proc'], '4242', 'root', liveness.BUILDKITD_SOCKET)
    assert liveness.serves(path, 0.2) is False


def test_serving_socket_of_a_local_node_only_while_buildkitd_answers(host):
    path = os.path.join(host['proc'], '4242', 'root', liveness.BUILDKITD_SOCKET)
    assert liveness.serving_socket(inspect(), host['proc']) is None  # nothing listens yet
    host['serve']()
    assert liveness.serving_socket(inspect(), host['proc']) == path
    assert liveness.serving_socket(inspect(running=False), host['proc']) is None
    assert liveness.serving_socket(None, host['proc']) is None  # no such container


def test_emulators_digest_follows_the_entries_not_status(host):
    first = liveness.emulators(host['binfmt'])
    with open(os.path.join(host['binfmt'], 'status'), 'w') as handle:
        handle.write('disabled\n')
    assert liveness.emulators(host['binfmt']) == first
    with open(os.path.join(host['binfmt'], 'qemu-aarch64'), 'w') as handle:
        handle.write('disabled\ninterpreter /usr/bin/qemu-aarch64\n')
    assert liveness.emulators(host['binfmt']) != first
    assert liveness.emulators(os.path.join(host['top'], 'missing')) == ''


def test_remembered_workers_are_answered_while_buildkitd_serves(host):
    host['serve']()
    memo = host['memo']
    assert memo.recall(Client(), inspect()) is None
    memo.remember(Client(), inspect(), WORKERS)
    assert memo.recall(Client(), inspect()) == WORKERS


def test_a_restart_or_other_emulators_ask_again(host):
    host['serve']()
    memo = host['memo']
    memo.remember(Client(), inspect(), WORKERS)
    assert memo.recall(Client(), inspect(started='2026-12-06T04:00:00Z')) is None
    os.unlink(os.path.join(host['binfmt'], 'qemu-aarch64'))
    assert memo.recall(Client(), inspect()) is None


def test_a_silent_buildkitd_is_asked_again(host):
    host['serve'](answer=None)
    memo = host['memo']
    memo.remember(Client(), inspect(), WORKERS)
    assert memo.recall(Client(), inspect()) is None


@pytest.mark.parametrize('endpoint', ['tcp://10.0.0.1:2375', 'ssh://user@host', None])
def test_remote_daemons_are_always_asked(host, endpoint):
    host['serve']()
    memo = host['memo']
    memo.remember(Client(endpoint), inspect(), WORKERS)
    assert not os.path.exists(memo.directory)
    memo.remember(Client(), inspect(), WORKERS)
    assert memo.recall(Client(endpoint), inspect()) is None


def test_an_unwritable_memo_only_costs_time(host):
    host['serve']()
    blocker = os.path.join(host['top'], 'file')
    open(blocker, 'w').close()
    memo = liveness.WorkersMemo(os.path.join(blocker, 'memo'), proc=host['proc'], binfmt=host['binfmt'])
    memo.remember(Client(), inspect(), WORKERS)
    assert memo.recall(Client(), inspect()) is None


def made(container_id, image='sha256:img', cmd=('--allow-insecure-entitlement=network.host',), env=('PATH=/bin',)):
    found = inspect()
    found.update(Id=container_id, Image=image, Config={'Entrypoint': ['buildkitd'], 'Cmd': list(cmd), 'Env': list(env)})
    return found


def write_config(host, text):
    path = os.path.join(host['proc'], '4242', 'root', 'etc', 'buildkit')
    if not os.path.isdir(path):
        os.makedirs(path)
    with open(os.path.join(path, 'buildkitd.toml'), 'w') as handle:
        handle.write(text)


def test_a_container_of_the_same_make_is_answered_without_its_worker_id(host):
    host['serve']()
    write_config(host, '[worker.oci]\n  gc = true\n')
    memo = host['memo']
    first, second = CONTAINER_ID, CONTAINER_ID[::-1]  # the fake pid's cgroup names both
    with open(os.path.join(host['proc'], '4242', 'cgroup'), 'a') as handle:
        handle.write('0::/docker/buildx/%s\n' % second)
    assert memo.recall_made(Client(), made(second)) is None
    memo.remember(Client(), made(first), WORKERS)
    assert memo.recall_made(Client(), made(second)) == [dict(WORKERS[0], id=None)]
    assert memo.recall(Client(), made(second), own=True) is None  # not its own answer: asked as its own


@pytest.mark.parametrize('other', [dict(image='sha256:other'), dict(cmd=('--debug',)), dict(env=('A=1',))])
def test_another_image_command_or_environment_is_another_make(host, other):
    host['serve']()
    write_config(host, '')
    memo = host['memo']
    memo.remember(Client(), made(CONTAINER_ID), WORKERS)
    assert memo.recall_made(Client(), made(CONTAINER_ID, **other)) is None


def test_another_buildkitd_toml_or_a_silent_buildkitd_is_not_answered_from_the_make(host):
    host['serve'](answer=None)
    write_config(host, 'debug = true\n')
    memo = host['memo']
    memo.remember(Client(), made(CONTAINER_ID), WORKERS)
    assert memo.recall_made(Client(), made(CONTAINER_ID)) is None  # not serving
    before = memo._make_memo(made(CONTAINER_ID), memo._reach(Client(), made(CONTAINER_ID)))
    write_config(host, 'debug = false\n')
    after = memo._make_memo(made(CONTAINER_ID), memo._reach(Client(), made(CONTAINER_ID)))
    assert before[1] != after[1] and before[0] != after[0]


def test_what_the_make_answered_is_remembered_for_the_start_but_not_as_its_own(host):
    host['serve']()
    write_config(host, '')
    memo = host['memo']
    second = CONTAINER_ID[::-1]
    with open(os.path.join(host['proc'], '4242', 'cgroup'), 'a') as handle:
        handle.write('0::/docker/buildx/%s\n' % second)
    memo.remember(Client(), made(CONTAINER_ID), WORKERS)
    assert memo.recall_made(Client(), made(second)) == [dict(WORKERS[0], id=None)]
    assert memo.recall(Client(), made(second)) == [dict(WORKERS[0], id=None)]
    assert memo.recall(Client(), made(second), own=True) is None
    memo.remember(Client(), made(second), [dict(WORKERS[0], id='w2')])
    assert memo.recall(Client(), made(second), own=True) == [dict(WORKERS[0], id='w2')]


def aged(path, days):
    past = liveness.time.time() - days * 24 * 3600
    os.utime(path, (past, past))


def test_remembering_removes_memos_nobody_read_for_a_month_and_reading_keeps_them(host):
    host['serve']()
    memo = host['memo']
    memo.remember(Client(), inspect(), WORKERS)
    start_memo = CONTAINER_ID[:32] + '.json'
    make_memo = [name for name in os.listdir(memo.directory) if name.startswith('made-')]
    for name in os.listdir(memo.directory):
        aged(os.path.join(memo.directory, name), 40)
    assert memo.recall(Client(), inspect()) == WORKERS  # read: this start's memo is used again
    other = CONTAINER_ID[::-1]  # another container, of another make
    with open(os.path.join(host['proc'], '4242', 'cgroup'), 'a') as handle:
        handle.write('0::/docker/buildx/%s\n' % other)
    later = liveness.WorkersMemo(memo.directory, proc=host['proc'], binfmt=host['binfmt'])
    later.remember(Client(), made(other, image='sha256:other'), WORKERS)
    left = os.listdir(memo.directory)
    assert start_memo in left and other[:32] + '.json' in left
    assert len(make_memo) == 1 and make_memo[0] not in left  # nobody read it for 40 days

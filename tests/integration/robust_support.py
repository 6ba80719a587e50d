"""Real parallel `ansible-playbook` processes, whole-process-tree kills, and a registry that answers slowly."""
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import docker

PLAYBOOK = '''- hosts: localhost
  gather_facts: false
  tasks:
    - name: The task under test
      buildkit.fleet.%(module)s: %(args)s
      register: outcome
      ignore_errors: true
    - name: Keep the result
      ansible.builtin.copy:
        content: "{{ outcome | to_json }}"
        dest: %(result)s
        mode: "0600"
'''


MANY = '''- hosts: localhost
  gather_facts: false
  tasks:
%(tasks)s    - name: Keep the results
      ansible.builtin.copy:
        content: "{{ [%(names)s] | to_json }}"
        dest: %(result)s
        mode: "0600"
      check_mode: false
'''
TASK = '''    - name: Case %(index)d
      buildkit.fleet.%(module)s: %(args)s
      register: outcome%(index)d
      ignore_errors: true
'''


class Playbook(object):
    """One ansible-playbook process running one module task; its own session, so its whole tree can be killed."""

    def __init__(self, workdir, index, module, args, buildx_config, verbose=False):
        self.result_path = os.path.join(workdir, 'result%d.json' % index)
        path = os.path.join(workdir, 'play%d.yml' % index)
        with open(path, 'w') as handle:
            handle.write(PLAYBOOK % dict(module=module, args=json.dumps(args), result=self.result_path))
        env = dict(os.environ, BUILDX_CONFIG=buildx_config, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0',
                   ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
        cmd = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', path,
               '-e', 'ansible_python_interpreter=' + sys.executable] + (['-vvv'] if verbose else [])
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.output = ''

    def wait(self, timeout=240):
        self.output, _err = self.proc.communicate(timeout=timeout)
        if not os.path.exists(self.result_path):
            raise AssertionError('no result (rc %s):\n%s' % (self.proc.returncode, self.output))
        with open(self.result_path) as handle:
            return json.load(handle)


def run_tasks(workdir, module, arg_list, buildx_config, check=False, timeout=600):
    """One ansible-playbook process running one task per args (errors ignored); their results in order."""
    os.makedirs(workdir, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    result_path = os.path.join(workdir, 'results-%s.json' % tag)
    tasks = ''.join(TASK % dict(index=i, module=module, args=json.dumps(args)) for i, args in enumerate(arg_list))
    path = os.path.join(workdir, 'tasks-%s.yml' % tag)
    with open(path, 'w') as handle:
        handle.write(MANY % dict(tasks=tasks, result=result_path,
                                 names=', '.join('outcome%d' % i for i in range(len(arg_list)))))
    env = dict(os.environ, BUILDX_CONFIG=buildx_config, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    cmd = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', path,
           '-e', 'ansible_python_interpreter=' + sys.executable] + (['--check'] if check else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if not os.path.exists(result_path):
        raise AssertionError('no results (rc %s):\n%s\n%s' % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    with open(result_path) as handle:
        return json.load(handle), proc.stdout + proc.stderr


def run_parallel(tmp_path, module, arg_list, buildx_config, timeout=240):
    """Start one ansible-playbook per args at once; return their results in order."""
    workdir = str(tmp_path)
    os.makedirs(workdir, exist_ok=True)
    books = [Playbook(workdir, i, module, args, buildx_config) for i, args in enumerate(arg_list)]
    return [book.wait(timeout) for book in books]


def descendants(pid):
    """Every process below pid, found through parent links (Ansible workers call setsid, so the
    process group of ansible-playbook does not hold them)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as handle:
                    fields = handle.read().rsplit(')', 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (IOError, OSError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc):
    """Freeze the whole tree first (no new children escape), then kill every process of it."""
    tree = [proc.pid] + descendants(proc.pid)
    for pid in tree:
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass
    tree = sorted(set(tree + descendants(proc.pid)))
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    proc.wait(timeout=30)
    return tree


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))


class SlowRegistry(object):
    """An HTTP registry on 127.0.0.1 that holds every request until released (or `delay` seconds), then says 404."""

    def __init__(self, delay):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                outer.released.wait(outer.delay)
                self.send_response(404)
                self.send_header('Content-Length', '0')
                self.end_headers()
            do_HEAD = do_GET

            def log_message(self, *args):
                pass
        self.delay, self.hits, self.released = delay, 0, threading.Event()
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def tag_image(client, source, ref):
    repo, tag = ref.rsplit(':', 1)
    client.images.get(source).tag(repo, tag)
    return ref


def untag(client, ref):
    try:
        client.images.remove(ref)
    except docker.errors.APIError:
        pass


class DaemonProxy(object):
    """tcp://127.0.0.1:PORT -> the real daemon's unix socket. Every chunk a client sends that holds all
    `markers` goes to `on_match(source)` first: it returns False to cut that connection (after, say, setting
    SO_LINGER for a reset), True to forward the chunk."""

    def __init__(self, markers, on_match, socket_path='/var/run/docker.sock'):
        self.markers, self.on_match, self.socket_path = markers, on_match, socket_path
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
            upstream.connect(self.socket_path)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source, dest, inspect):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if inspect and all(m in data for m in self.markers) and not self.on_match(source):
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

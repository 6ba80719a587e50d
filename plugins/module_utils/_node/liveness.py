# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A running node on a local daemon answered without a docker exec: its buildkitd is asked on its own socket
and its workers come from what it answered since it started.

buildx (and _node.container) ask a node with `buildctl debug workers` in the container: a docker exec, 40-80 ms.
On a local daemon the container's processes run on this host, so buildkitd's socket is reachable as
/proc/<pid>/root/run/buildkit/buildkitd.sock (the pid is checked to belong to the container). One HTTP/2
exchange there (the client preface, answered by the gRPC server's SETTINGS frame) shows buildkitd serves: a
stopped, hung or exited buildkitd does not answer. The workers are kept per container start (id, StartedAt)
and emulator set (binfmt_misc entries): buildkitd reports other workers, platforms or GC policy only after a
restart, and other emulated platforms only when the emulators change. A container just made is answered from
what another container of the same make reported (image, entrypoint, command, environment, buildkitd.toml,
emulators): its version, platforms and GC policy, not its worker id. Anything else (a remote daemon, a process
this user may not reach, another socket path) answers None and the caller asks with the exec.
A run that remembers workers removes the memos no run has read for cache_dir.KEEP_DAYS days (containers
started long ago and removed since).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import socket
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._common.cache_dir import (
    default_directory, prune_unused, read_json, write_json)
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import local_socket_path
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import CONFIG_PATH

BUILDKITD_SOCKET = 'run/buildkit/buildkitd.sock'
BINFMT_DIR = '/proc/sys/fs/binfmt_misc'
# HTTP/2 client preface and an empty SETTINGS frame; a gRPC server answers with its own SETTINGS frame (type 4)
PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + b'\x00\x00\x00\x04\x00\x00\x00\x00\x00'
SETTINGS = 4
ANSWER_TIMEOUT = 1.0


def process_root(inspect, proc='/proc'):
    """/proc/<pid>/root of a running, unpaused container whose main process is on this host (its cgroup names
    the container id), else None."""
    state = (inspect or {}).get('State') or {}
    pid, container_id = state.get('Pid') or 0, (inspect or {}).get('Id') or ''
    if not (state.get('Running') and not state.get('Paused') and pid > 0 and container_id):
        return None
    try:
        with open(os.path.join(proc, str(pid), 'cgroup')) as handle:
            if container_id not in handle.read():
                return None
    except (IOError, OSError):
        return None
    return os.path.join(proc, str(pid), 'root')


def serves(path, timeout=ANSWER_TIMEOUT):
    """Whether a gRPC server answers the HTTP/2 preface on the unix socket at path within timeout."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(PREFACE)
        head = b''
        while len(head) < 9:
            chunk = sock.recv(9 - len(head))
            if not chunk:
                return False
            head += chunk
        return head[3] == SETTINGS
    except (IOError, OSError):
        return False
    finally:
        sock.close()


def reachable_socket(client, inspect, proc='/proc'):
    """(buildkitd socket, process root) of a running node of a local daemon whose processes this host reaches
    (`client` on a local unix:// socket), else None. Whether buildkitd serves there is not asked."""
    if local_socket_path(client) is None:
        return None
    root = process_root(inspect, proc)
    return (os.path.join(root, BUILDKITD_SOCKET), root) if root else None


def serving_socket(inspect, proc='/proc'):
    """buildkitd's socket of a running node (the inspect answer of a local daemon: the caller knows it is) when
    buildkitd answers there, else None."""
    root = process_root(inspect, proc)
    path = os.path.join(root, BUILDKITD_SOCKET) if root else None
    return path if path and serves(path) else None


def emulators(directory=BINFMT_DIR):
    """A digest of the registered binfmt_misc entries (names and contents); '' when none can be read."""
    digest = hashlib.sha256()
    try:
        names = sorted(n for n in os.listdir(directory) if n not in ('register', 'status'))
    except (IOError, OSError):
        return ''
    for name in names:
        try:
            with open(os.path.join(directory, name), 'rb') as handle:
                digest.update(name.encode('utf-8', 'surrogateescape') + b'\0' + handle.read() + b'\0')
        except (IOError, OSError):
            continue
    return digest.hexdigest()


class WorkersMemo(object):
    """The workers a local node's buildkitd reported, answered again while it runs and serves unchanged."""

    def __init__(self, directory=None, proc='/proc', binfmt=BINFMT_DIR, clock=time.time):
        self.directory = directory or os.path.join(default_directory(), 'workers')
        self.proc, self.binfmt, self.clock = proc, binfmt, clock
        self.pruned = False

    def _write(self, path, key, workers):
        """Remember `workers` under `key` in `path`; the first write of this run prunes unused memos."""
        if write_json(path, {'key': key, 'workers': workers}) and not self.pruned:
            self.pruned = True
            prune_unused(self.directory, self.clock())

    def _reach(self, client, inspect):
        """(buildkitd socket, process root, emulator digest) of a node this host can reach directly, else None."""
        found = reachable_socket(client, inspect, self.proc)
        return found + (emulators(self.binfmt),) if found else None

    def _start_memo(self, inspect, reach):
        """(memo file, key) of the node's current start."""
        key = [inspect['Id'], (inspect.get('State') or {}).get('StartedAt'), reach[2]]
        return os.path.join(self.directory, inspect['Id'][:32] + '.json'), key

    def _make_memo(self, inspect, reach):
        """(memo file, key) of the node's make: image, entrypoint, command, environment, buildkitd.toml, emulators."""
        config = inspect.get('Config') or {}
        try:
            with open(os.path.join(reach[1], CONFIG_PATH.lstrip('/')), 'rb') as handle:
                toml = hashlib.sha256(handle.read()).hexdigest()
        except (IOError, OSError):
            toml = None
        key = [inspect.get('Image'), config.get('Entrypoint'), config.get('Cmd'), sorted(config.get('Env') or []),
               toml, reach[2]]
        name = hashlib.sha256(repr(key).encode('utf-8', 'surrogateescape')).hexdigest()[:32]
        return os.path.join(self.directory, 'made-%s.json' % name), key

    def _recall(self, memo, sock, own=False):
        path, key = memo
        found = read_json(path, used_at=self.clock())
        if not isinstance(found, dict) or found.get('key') != key or not found.get('workers'):
            return None
        if own and not all(w.get('id') for w in found['workers']):
            return None
        return found['workers'] if serves(sock) else None

    def recall(self, client, inspect, own=False):
        """The remembered workers when buildkitd serves on its socket and nothing they depend on changed, else None.
        `own`: only workers this container reported itself (with their id and labels), not those of its make."""
        reach = self._reach(client, inspect)
        return self._recall(self._start_memo(inspect, reach), reach[0], own) if reach else None

    def recall_made(self, client, inspect):
        """For a container just started: what a container of the same make reported (without its worker id) when
        this one's buildkitd serves, else None; remembered for this start too, as not its own."""
        reach = self._reach(client, inspect)
        known = self._recall(self._make_memo(inspect, reach), reach[0]) if reach else None
        if known:
            self._write(*self._start_memo(inspect, reach), workers=known)
        return known

    def remember(self, client, inspect, workers):
        reach = self._reach(client, inspect) if workers else None
        if reach is not None:
            self._write(*self._start_memo(inspect, reach), workers=workers)
            self._write(*self._make_memo(inspect, reach), workers=[dict(w, id=None) for w in workers])

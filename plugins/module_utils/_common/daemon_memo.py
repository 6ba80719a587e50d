# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a converge needs of `docker info` (daemon id, CPUs, cgroup driver, security options, version), kept per
running dockerd of a local socket.

`GET /info` makes the daemon gather everything it knows (about 20 ms, the slowest request of a no-op converge).
The few fields a converge reads change only when the daemon restarts. For a local unix:// socket the daemon
answering it is identified by the peer process of a connection (SO_PEERCRED: its pid) and that process's start
time, which also tells a restart behind a socket kept by systemd apart. Any other endpoint, or a peer not
visible from here, is asked every time.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket
import struct

from ansible_collections.buildkit.fleet.plugins.module_utils._common.cache_dir import default_directory, read_json, write_json
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import local_socket_path

FIELDS = ('ID', 'NCPU', 'CgroupDriver', 'SecurityOptions', 'ServerVersion')
_UCRED = struct.Struct('3i')  # pid, uid, gid


def daemon_process(path, proc='/proc'):
    """[socket path, daemon pid, its start time] of the process answering the unix socket, or None."""
    so_peercred = getattr(socket, 'SO_PEERCRED', None)
    if so_peercred is None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(2)
        sock.connect(path)
        pid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, so_peercred, _UCRED.size))[0]
    except (IOError, OSError):
        return None
    finally:
        sock.close()
    if pid <= 0:
        return None
    try:
        with open(os.path.join(proc, str(pid), 'stat')) as handle:
            started = handle.read().rsplit(')', 1)[1].split()[19]
    except (IOError, OSError, IndexError):
        return None
    return [os.path.realpath(path), pid, started]


class DaemonMemo(object):

    def __init__(self, path=None, proc='/proc'):
        self.path = path or os.path.join(default_directory(), 'daemons.json')
        self.proc = proc

    def info(self, client):
        """The FIELDS of the client's `docker info`: remembered while the same local daemon process answers."""
        path = local_socket_path(client)
        key = daemon_process(path, self.proc) if path else None
        if key is None:
            return client.info()
        known = read_json(self.path)
        known = known if isinstance(known, dict) else {}
        entry = known.get(key[0]) or {}
        if entry.get('key') == key and isinstance(entry.get('info'), dict):
            return entry['info']
        info = client.info()
        known[key[0]] = {'key': key, 'info': dict((f, info.get(f)) for f in FIELDS)}
        write_json(self.path, known)
        return info

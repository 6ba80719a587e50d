# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The readiness signal of a node that was just started: buildkitd's "running server on" log line.

buildx polls `buildctl debug workers` at growing intervals until buildkitd answers; most of a fresh builder's
boot is spent in those sleeps. On a local daemon (a unix:// socket) the container's log is followed instead, from
the moment the container started, and the workers are asked as soon as buildkitd writes that it serves its socket.
The log is read over the socket in plain HTTP/1.0 (the stream ends when the daemon closes it); any other endpoint
(tcp://, ssh://) gets no signal and the caller polls as buildx does.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import time
from urllib.parse import quote

from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import local_socket_path
from ansible_collections.buildkit.fleet.plugins.module_utils._common.times import parse_time_ns

# buildkitd logs this (level info, any log format) once its gRPC socket accepts connections.
READY_TEXT = b'running server on'


def _since(started_at):
    """The daemon's `since` parameter (seconds.nanoseconds) of an RFC 3339 StartedAt, or None."""
    stamp = parse_time_ns(started_at)
    if not stamp:
        return None
    return '%d.%09d' % divmod(stamp, 10 ** 9)


class LogWatch(object):
    """Follows a container's log since it started; `wait(until)` says whether buildkitd announced its socket."""

    def __init__(self, path, url):
        self.seen = False
        self.ended = False  # the stream closed (the container stopped) or was not a log stream
        self._head = b''
        self._body = False
        self._tail = b''
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(5)
            self._sock.connect(path)
            self._sock.sendall(('GET %s HTTP/1.0\r\nHost: docker\r\n\r\n' % url).encode('ascii'))
        except Exception:
            self.close()
            raise

    def _feed(self, data):
        if not self._body:
            self._head += data
            if b'\r\n\r\n' not in self._head:
                return
            head, _sep, data = self._head.partition(b'\r\n\r\n')
            self._body = True
            status = head.split(b'\r\n', 1)[0].split(b' ', 2)
            if len(status) < 2 or status[1] != b'200':
                self.ended = True
                return
        text = self._tail + data
        if READY_TEXT in text:
            self.seen = True
        self._tail = text[-len(READY_TEXT):]

    def wait(self, until):
        """Read until buildkitd's line arrives (True), or the stream ends or `until` (monotonic) passes (False)."""
        while not (self.seen or self.ended):
            remaining = until - time.monotonic()
            if remaining <= 0:
                return False
            try:
                self._sock.settimeout(remaining)
                data = self._sock.recv(65536)
            except socket.timeout:
                return False
            except (OSError, ValueError):
                data = b''
            if not data:
                self.ended = True
                break
            self._feed(data)
        return self.seen

    def close(self):
        try:
            self._sock.close()
        except OSError:
            pass


def watch_started(client, container, inspect):
    """A LogWatch of a container that was just started (`inspect` taken after the start), or None when the
    daemon is not on a local socket or the log cannot be followed (the caller then polls)."""
    path = local_socket_path(client)
    since = _since(((inspect or {}).get('State') or {}).get('StartedAt'))
    if not path or not since:
        return None
    version = getattr(client, '_version', None)
    prefix = '/v%s' % version if version else ''
    url = '%s/containers/%s/logs?follow=1&stdout=1&stderr=1&since=%s' % (prefix, quote(container, safe=''), since)
    try:
        return LogWatch(path, url)
    except (OSError, ValueError):
        return None

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Serialize converges across processes: one flock per key (builder name, daemon), with a bounded wait.

The kernel drops a flock when its holder dies, so a killed run never leaves a lock behind."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import time


class LockTimeout(Exception):
    """Another run held a lock for longer than the allowed wait."""


def lock_dir():
    return os.path.join(tempfile.gettempdir(), 'buildkit-fleet-locks-%d' % os.getuid())


def lock_path(key):
    readable = re.sub(r'[^A-Za-z0-9._-]+', '_', key)[-60:]
    return os.path.join(lock_dir(), '%s-%s.lock' % (readable, hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]))


def _acquire(key, deadline, timeout, what):
    directory = lock_dir()
    try:
        os.makedirs(directory, 0o700)
    except OSError:
        if not os.path.isdir(directory):
            raise
    fd = os.open(lock_path(key), os.O_RDWR | os.O_CREAT, 0o600)
    delay = 0.05
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except (IOError, OSError):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout('%s: another run was still converging it after %ss (lock %s); '
                                  'raise lock_timeout or run again later' % (what, timeout, lock_path(key)))
        time.sleep(min(delay, max(0.01, deadline - time.monotonic())))
        delay = min(delay * 2, 0.5)


@contextlib.contextmanager
def held(keys, timeout, what):
    """Hold every lock of `keys` (taken in sorted order, so runs never deadlock); wait at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    fds = []
    try:
        for key in sorted(set(keys)):
            fds.append(_acquire(key, deadline, timeout, what))
        yield
    finally:
        for fd in reversed(fds):
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

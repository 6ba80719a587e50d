# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run buildx with a deadline: its own session (process group), stopped (TERM, then KILL) when the time is up.

No AnsibleModule here: the command gets exactly the environment it is given, stdout and stderr are read as
they come (communicate), and a timeout stops buildx and everything it started.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import signal
import subprocess
import threading
import time

from ansible.module_utils.common.text.converters import to_bytes, to_text

GRACE_SECONDS = 10


def _signal_group(pgid, signum):
    try:
        os.killpg(pgid, signum)
    except OSError:  # the group is gone already
        pass


class _Deadline(object):
    """Stops the command's process group at the deadline: TERM, and KILL after a grace period."""

    def __init__(self, timeout, grace=None):
        self.timeout, self.grace = timeout, GRACE_SECONDS if grace is None else grace
        self.expired = False
        self._timer = None
        self._proc = None

    def start(self, proc):
        self._proc = proc
        self._timer = threading.Timer(self.timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self):
        self.expired = True
        _signal_group(self._proc.pid, signal.SIGTERM)
        stop = time.monotonic() + self.grace
        while self._proc.poll() is None and time.monotonic() < stop:
            time.sleep(0.1)
        _signal_group(self._proc.pid, signal.SIGKILL)  # also what buildx started and left holding the pipes

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()


def run(argv, env, stdin=None, timeout=120):
    """(returncode or None on timeout, stdout, stderr) as text; ``env`` is the command's whole environment.

    Without ``stdin`` the command reads /dev/null, never the module's own standard input."""
    try:
        proc = subprocess.Popen(list(argv), env=env, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True,
                                start_new_session=True)
    except OSError as exc:
        return 127, '', 'cannot run %s: %s\n' % (argv[0], exc)
    deadline = _Deadline(timeout)
    deadline.start(proc)
    try:
        out, err = proc.communicate(to_bytes(stdin) if stdin else None)
    finally:
        deadline.cancel()
    code = None if deadline.expired else proc.returncode
    return code, to_text(out, errors='surrogate_or_replace'), to_text(err, errors='surrogate_or_replace')

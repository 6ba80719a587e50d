# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run buildx with a deadline: its own process group, stopped (TERM, then KILL) when the time is up.

The command runs through AnsibleModule.run_command (which reads stdout and stderr as they come), started by a
small exec shim that gives it its own session, so that a timeout stops buildx and everything it started.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import signal
import sys
import threading
import time

from ansible.module_utils.common.text.converters import to_bytes, to_text

GRACE_SECONDS = 10

# argv: shim, variables to unset (comma-separated), '-' for no stdin (else '+'), the command.
_SESSION_SHIM = '''import os, sys
os.setsid()
for name in filter(None, sys.argv[1].split(',')):
    os.environ.pop(name, None)
if sys.argv[2] == '-':
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
try:
    os.execvp(sys.argv[3], sys.argv[3:])
except OSError as exc:
    sys.stderr.write('cannot run %s: %s\\n' % (sys.argv[3], exc))
    sys.exit(127)
'''


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
        """run_command's before_communicate_callback: the command started."""
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


def run(module, argv, env, stdin=None, timeout=120):
    """(returncode or None on timeout, stdout, stderr) as text; ``env`` is the command's whole environment."""
    unset = sorted(name for name in os.environ if name not in env)
    update = dict((name, value) for name, value in env.items() if os.environ.get(name) != value)
    deadline = _Deadline(timeout)
    shim = [sys.executable, '-c', _SESSION_SHIM, ','.join(unset), '+' if stdin else '-']
    try:
        code, out, err = module.run_command(shim + list(argv), data=to_bytes(stdin) if stdin else None, binary_data=True,
                                            environ_update=update, expand_user_and_vars=False, encoding=None,
                                            before_communicate_callback=deadline.start)
    finally:
        deadline.cancel()
    if deadline.expired:
        code = None
    return code, to_text(out, errors='surrogate_or_replace'), to_text(err, errors='surrogate_or_replace')

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run buildx with a deadline: its own session (process group), stopped (TERM, then KILL) when the time is up.

The command runs through AnsibleModule.run_command, started by util-linux's `setsid` (so that a timeout stops
buildx and everything it started) under `env -u` for the variables the command must not see; both exec, so
no extra process stays between the module and buildx. Where `setsid` is missing, a small Python shim does
the same.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import signal
import sys
import threading
import time

from ansible.module_utils.common.process import get_bin_path
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


# argv: shim, '-' for no stdin (else '+'), the command (its own session, stdin /dev/null unless given).
_SESSION_SHIM = '''import os, sys
os.setsid()
if sys.argv[1] == '-':
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
try:
    os.execvp(sys.argv[2], sys.argv[2:])
except OSError as exc:
    sys.stderr.write('cannot run %s: %s\\n' % (sys.argv[2], exc))
    sys.exit(127)
'''


def _find(name):
    """The path of a program on the target, or None (ansible-core's own lookup)."""
    try:
        return get_bin_path(name)
    except ValueError:
        return None


def _launcher(unset, stdin):
    """The argv prefix that starts the command in its own session without the ``unset`` variables, its
    standard input /dev/null unless ``stdin`` is given (never the module's own)."""
    prefix = ['env'] + [arg for name in unset for arg in ('-u', name)] if unset else []
    setsid = _find('setsid')
    if not setsid:
        return prefix + [sys.executable, '-c', _SESSION_SHIM, '+' if stdin else '-']
    prefix.append(setsid)
    if not stdin:
        prefix += ['/bin/sh', '-c', 'exec "$@" </dev/null', 'sh']
    return prefix


def run(run_command, argv, env, stdin=None, timeout=120):
    """(returncode or None on timeout, stdout, stderr) as text; ``env`` is the command's whole environment.

    ``run_command`` is the module's AnsibleModule.run_command."""
    unset = sorted(name for name in os.environ if name not in env)
    update = dict((name, value) for name, value in env.items() if os.environ.get(name) != value)
    deadline = _Deadline(timeout)
    try:
        code, out, err = run_command(_launcher(unset, stdin) + list(argv), data=to_bytes(stdin) if stdin else None,
                                     binary_data=True, environ_update=update, expand_user_and_vars=False,
                                     encoding=None, before_communicate_callback=deadline.start)
    finally:
        deadline.cancel()
    code = None if deadline.expired else code
    out, err = to_text(out, errors='surrogate_or_replace'), to_text(err, errors='surrogate_or_replace')
    if code == 127 and 'cannot run' not in err:  # env, setsid or sh could not start it
        err = 'cannot run %s: %s' % (argv[0], err)
    return code, out, err

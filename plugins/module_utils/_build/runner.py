# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run buildx with a deadline: its own process group, stopped (TERM, then KILL) when the time is up.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import signal
import subprocess

from ansible.module_utils.common.text.converters import to_text


def run(argv, env, stdin=None, timeout=120):
    """(returncode or None on timeout, stdout, stderr) as text."""
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    code = None
    try:
        out, err = proc.communicate(input=(stdin or '').encode('utf-8'), timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, OSError):
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
    return code, to_text(out, errors='surrogate_or_replace'), to_text(err, errors='surrogate_or_replace')

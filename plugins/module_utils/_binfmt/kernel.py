# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The running kernel's binfmt_misc: mount, read, register, unregister, disable."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import parse_entry, register_line

MOUNT = '/proc/sys/fs/binfmt_misc'
SYSTEMD_BINFMT = ('/usr/lib/systemd/systemd-binfmt', '/lib/systemd/systemd-binfmt')
TIMEOUT = 30


class KernelError(Exception):
    """The kernel refused a change."""


def _write(path, text):
    with open(path, 'w') as handle:
        handle.write(text)


class Binfmt(object):
    """``run_command`` is AnsibleModule.run_command (used for modprobe, mount and systemd-binfmt)."""

    def __init__(self, run_command, mount=MOUNT):
        self.run_command, self.mount = run_command, mount

    def mounted(self):
        try:
            os.listdir(self.mount)  # fires a systemd automount (the Amazon Linux 2023 case)
        except OSError:
            pass
        return os.path.exists(os.path.join(self.mount, 'register'))

    def do_mount(self):
        try:
            self._run(['modprobe', 'binfmt_misc'])
        except KernelError:  # no modprobe (minimal hosts) or a built-in module: mount says the rest
            pass
        rc, out, err = self._run(['mount', '-t', 'binfmt_misc', 'binfmt_misc', self.mount])
        if rc != 0 or not self.mounted():
            raise KernelError('cannot mount binfmt_misc on %s: %s' % (self.mount, (err or out).strip()))

    def read(self, name):
        try:
            with open(os.path.join(self.mount, name)) as handle:
                return parse_entry(name, handle.read())
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise

    def unregister(self, name):
        path = os.path.join(self.mount, name)
        if os.path.exists(path):
            self._control(path, '-1', 'unregister %s' % name)

    def disable(self, name):
        self._control(os.path.join(self.mount, name), '0', 'disable %s' % name)

    def register(self, entry):
        """Registers an entry dict in place of any same-named one."""
        line = register_line(entry)
        self.unregister(entry['name'])
        self._control(os.path.join(self.mount, 'register'), line, 'register %s (line %s)' % (entry['name'], line))
        if not entry.get('enabled', True):
            self.disable(entry['name'])

    def apply_file(self, tool, path, name):
        """systemd-binfmt FILE: applies only that file (deletes the same-named rule first, no flush)."""
        rc, out, err = self._run([tool, path])
        if rc != 0:
            raise KernelError('%s %s failed for %s: %s' % (tool, path, name, (err or out).strip()))

    def _run(self, argv):
        """(rc, stdout, stderr); `timeout` bounds the command where coreutils has it."""
        tool = find_tool(argv[0])
        if tool is None:
            raise KernelError('%s is not installed on this host' % argv[0])
        return self.run_command(with_time_limit([tool] + list(argv[1:]), TIMEOUT))

    @staticmethod
    def _control(path, text, what):
        try:
            _write(path, text)
        except (IOError, OSError) as exc:
            raise KernelError('the kernel refused to %s: %s' % (what, exc))


def find_tool(name):
    """Absolute path of a program in PATH or the sbin directories, else None."""
    if os.path.isabs(name):
        return name if os.access(name, os.X_OK) else None
    dirs = os.environ.get('PATH', '').split(os.pathsep) + ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin']
    for folder in dirs:
        path = os.path.join(folder, name)
        if folder and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def with_time_limit(argv, seconds):
    """argv run under coreutils' timeout when it is there (it always is on the hosts we support)."""
    for path in ('/usr/bin/timeout', '/bin/timeout'):
        if os.access(path, os.X_OK):
            return [path, str(seconds)] + list(argv)
    return list(argv)


def systemd_binfmt():
    """Path of systemd-binfmt when systemd runs this host, else None."""
    if not os.path.isdir('/run/systemd/system'):
        return None
    for path in SYSTEMD_BINFMT:
        if os.access(path, os.X_OK):
            return path
    return None

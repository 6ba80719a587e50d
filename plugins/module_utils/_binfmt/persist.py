# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistent handler files in a binfmt.d directory (read at boot by systemd-binfmt and OpenRC's binfmt)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import register_line

MARKER = '# Managed by Ansible module buildkit.fleet.binfmt_misc'
LEGACY_MARKERS = (MARKER, '# Managed by Ansible role buildkit.fleet.qemu')


def file_path(directory, name):
    return os.path.join(directory, name + '.conf')


def content(entry):
    return '%s (%s)\n%s\n' % (MARKER, ', '.join(entry.get('platforms') or []), register_line(entry))


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def ours(text):
    return text is not None and text.startswith(LEGACY_MARKERS)


def write(path, text):
    """Writes atomically; creates the directory (mode 0755) when missing."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def remove(path):
    os.unlink(path)

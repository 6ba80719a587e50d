# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A corrupt buildx store entry breaks `docker buildx ls` for every builder: move it aside (never delete it)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

ASIDE_DIR = 'instances.corrupt'  # buildx reads only instances/, activity/, refs/ and current


def check_root(root):
    """A message naming buildx_config when the store root exists but is not a directory, else None."""
    if os.path.lexists(root) and not os.path.isdir(root):
        return "buildx_config: '%s' exists and is not a directory" % root
    for sub in ('instances', 'activity', 'refs'):
        path = os.path.join(root, sub)
        if os.path.lexists(path) and not os.path.isdir(path):
            return "buildx_config: '%s' exists and is not a directory" % path
    return None


def entry_path(root, name):
    return os.path.join(root, 'instances', name.lower())


def set_aside(root, name):
    """Rename the builder's instances file into instances.corrupt/; return the new path."""
    folder = os.path.join(root, ASIDE_DIR)
    try:
        os.makedirs(folder, 0o700)
    except OSError:
        if not os.path.isdir(folder):
            raise
    target = os.path.join(folder, '%s.%s.%d' % (name.lower(), time.strftime('%Y%m%dT%H%M%SZ', time.gmtime()), os.getpid()))
    os.rename(entry_path(root, name), target)
    return target

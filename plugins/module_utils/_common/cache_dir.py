# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's cache directory on the target ($XDG_CACHE_HOME/buildkit-fleet, else ~/.cache/buildkit-fleet).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import tempfile

TEMPORARY_PREFIX = '.tmp-'  # write_bytes's temporary files, renamed over their target when complete
DAY = 24 * 3600
KEEP_DAYS = 30  # cache files no run has used for this long are removed by a run that writes new ones


def default_directory():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'buildkit-fleet')


def write_bytes(path, data):
    """Write `data` atomically (a temporary file renamed over the old one); False when the directory is not
    writable: a cache that cannot be written only costs time."""
    try:
        os.makedirs(os.path.dirname(path), 0o700, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=os.path.dirname(path))
        with os.fdopen(handle, 'wb') as out:
            out.write(data)
        os.rename(temporary, path)
        return True
    except (IOError, OSError):
        return False


def write_json(path, data):
    """Write JSON atomically (see write_bytes)."""
    return write_bytes(path, json.dumps(data, separators=(',', ':')).encode('utf-8'))


def read_json(path, used_at=None):
    """The JSON in path, or None when it is missing or unreadable; a time `used_at` marks the file used then
    (mark_used)."""
    try:
        with open(path) as handle:
            found = json.load(handle)
            if used_at is not None:
                mark_used(handle, path, used_at)
            return found
    except (IOError, OSError, ValueError):
        return None


def mark_used(handle, path, now):
    """Mark an open cache file used: refresh its mtime when it is older than a day (one fstat, a rare utime)."""
    try:
        if now - os.fstat(handle.fileno()).st_mtime > DAY:
            os.utime(path, (now, now))
    except (IOError, OSError):
        pass


def prune_unused(directory, now, keep_days=KEEP_DAYS, prefix=''):
    """Remove from `directory` the files named `prefix`... unused (see mark_used) for `keep_days` days and
    temporary files older than an hour; returns the names removed. Another run removing the same file at once
    is not an error."""
    removed = []
    try:
        entries = list(os.scandir(directory))
    except (IOError, OSError):
        return removed
    for entry in entries:
        try:
            temporary = entry.name.startswith(TEMPORARY_PREFIX)
            if not (temporary or entry.name.startswith(prefix)):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if age > (3600 if temporary else keep_days * DAY) and entry.is_file():
                os.unlink(entry.path)
                removed.append(entry.name)
        except (IOError, OSError):
            pass
    return removed

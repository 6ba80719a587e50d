# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A cache of file content digests for the fingerprint, trusted only while a file's stat is unchanged.

Like git's index: the key is size, mtime, ctime and inode (ctime cannot be set back by a user), and a
file changed within the last two seconds is not cached, so an edit in the same clock tick is not missed.
The fingerprint stays a function of content: the cache only avoids reading unchanged files again.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os
import tempfile
import time

RACY_NS = 2 * 10 ** 9


def default_directory():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'buildkit-fleet')


class DigestCache(object):

    def __init__(self, root, hash_file, directory=None, writable=True, clock=time.time_ns):
        name = hashlib.sha256(os.path.abspath(root).encode('utf-8', 'surrogateescape')).hexdigest()[:24]
        self.path = os.path.join(directory or default_directory(), 'digests-%s.json' % name)
        self.hash_file, self.writable, self.clock = hash_file, writable, clock
        self.known, self.seen = {}, {}
        try:
            with open(self.path) as handle:
                self.known = json.load(handle)
        except (IOError, OSError, ValueError):
            self.known = {}

    def cached(self, path):
        """The cached digest of path while its stat is unchanged, else None (without reading it)."""
        entry = self.known.get(path)
        if not entry:
            return None
        info = os.stat(path)
        if entry[:4] != [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]:
            return None
        self.seen[path] = entry
        return entry[4]

    def digest(self, path):
        info = os.stat(path)
        key = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        entry = self.known.get(path)
        if entry and entry[:4] == key:
            self.seen[path] = entry
            return entry[4]
        value = self.hash_file(path)
        if self.clock() - max(info.st_mtime_ns, info.st_ctime_ns) > RACY_NS:
            self.seen[path] = key + [value]
        return value

    __call__ = digest

    def save(self):
        """Keep the entries of this walk only; a cache that cannot be written is simply not kept."""
        if not self.writable or self.seen == self.known:
            return
        try:
            os.makedirs(os.path.dirname(self.path), 0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path), prefix='.digests-')
            with os.fdopen(fd, 'w') as handle:
                json.dump(self.seen, handle, separators=(',', ':'))
            os.rename(tmp, self.path)
        except (IOError, OSError):
            pass

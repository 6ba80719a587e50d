# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A cache of file content digests for the fingerprint, trusted only while a file's stat is unchanged.

Like git's index: the key is size, mtime, ctime and inode (ctime cannot be set back by a user), and a
file changed within the last two seconds is not cached, so an edit in the same clock tick is not missed.
The fingerprint stays a function of content: the cache only avoids reading unchanged files again.
One file per context directory (`digests-*.json`); a run that writes one removes those no run has read for
cache_dir.KEEP_DAYS days (the contexts of CI jobs' checkouts come and go).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._common.cache_dir import (
    default_directory, prune_unused, read_json, write_json)

RACY_NS = 2 * 10 ** 9
PREFIX = 'digests-'


class DigestCache(object):

    def __init__(self, root, hash_file, directory=None, writable=True, clock=time.time_ns):
        name = hashlib.sha256(os.path.abspath(root).encode('utf-8', 'surrogateescape')).hexdigest()[:24]
        self.path = os.path.join(directory or default_directory(), '%s%s.json' % (PREFIX, name))
        self.hash_file, self.writable, self.clock = hash_file, writable, clock
        self.known, self.seen = {}, {}
        known = read_json(self.path, used_at=clock() / 1e9)
        self.known = known if isinstance(known, dict) else {}

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
        """Keep the entries of this walk only; a cache that cannot be written is simply not kept. Writing one
        removes the other contexts' files unused for cache_dir.KEEP_DAYS days."""
        if not self.writable or self.seen == self.known:
            return
        if write_json(self.path, self.seen):
            prune_unused(os.path.dirname(self.path), self.clock() / 1e9, prefix=PREFIX)

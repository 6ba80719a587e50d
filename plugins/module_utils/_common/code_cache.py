# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's module_utils loaded from code compiled once per content, not compiled again on every run.

Ansible sends a module to the target as a zip of the module and its module_utils, which Python imports with
zipimport: every run reads, decompresses and compiles every file again, with no bytecode cache. For
buildkit_builder that is about 70 ms for the collection's 36 files, ten times the work of a no-op converge;
from compiled code the same imports take about 12 ms.

`install_code_cache()` (the first thing each module does) puts a finder in front of zipimport for this
collection's module_utils only. The source still comes from the module's own zip; its compiled code is kept in
~/.cache/buildkit-fleet/code/ (or under $XDG_CACHE_HOME), named by the digest of the interpreter's bytecode
magic, the file's path and its source, so a changed file or another Python never meets old code. The directory
is used only when it belongs to the user and nobody else may write to it; a file that cannot be read or
written only costs the compile, as before. Nothing is installed outside a zip (ansible-test, a collection on
sys.path: Python's own __pycache__ serves those) or under a tracer (coverage, a debugger: they map the zip's
file names). Deleting the directory is always safe.

The directory does not grow without bound: code that is read is marked used (its mtime, refreshed at most once a
day), and when a run compiles something new (a new release, a changed file) it removes the code nobody used for
KEEP_DAYS days and temporary files left by interrupted writes.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import importlib.util
import marshal
import os
import sys
import time
import zipfile

from ansible_collections.buildkit.fleet.plugins.module_utils._common.cache_dir import (
    KEEP_DAYS, default_directory, mark_used, prune_unused, write_bytes)

PACKAGE = 'ansible_collections.buildkit.fleet.plugins.module_utils'
MAGIC = importlib.util.MAGIC_NUMBER


def private_directory(path):
    """Whether `path` is a directory of this user that no one else may write to (made so when missing)."""
    try:
        os.makedirs(path, 0o700, exist_ok=True)
        found = os.stat(path)
    except (IOError, OSError):
        return False
    return found.st_uid == os.getuid() and not found.st_mode & 0o022


class CodeCache(object):
    """Compiled code by (path, source), read from and written to `directory`; the first code this process
    writes prunes the directory (cache_dir.prune_unused)."""

    def __init__(self, directory):
        self.directory = directory
        self.pruned = False

    def code(self, name, source):
        """The code object of `source` (bytes) of the zip member `name`."""
        key = hashlib.sha256(MAGIC + name.encode('utf-8') + b'\0' + source).hexdigest()
        path = os.path.join(self.directory, key)
        try:
            with open(path, 'rb') as handle:
                code = marshal.loads(handle.read())
                mark_used(handle, path, time.time())
                return code
        except (IOError, OSError, EOFError, ValueError, TypeError):
            pass
        code = compile(source, name, 'exec', dont_inherit=True)
        write_bytes(path, marshal.dumps(code))
        if not self.pruned:
            self.pruned = True
            prune_unused(self.directory, time.time(), KEEP_DAYS)
        return code


class ZipCodeFinder(object):
    """Finds the collection's module_utils in the module's zip and loads them through a CodeCache."""

    def __init__(self, archive, cache):
        self.archive, self.cache = archive, cache
        self.zip = zipfile.ZipFile(archive)
        self.names = set(self.zip.namelist())

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PACKAGE + '.'):
            return None
        base = fullname.replace('.', '/')
        for name, package in ((base + '/__init__.py', True), (base + '.py', False)):
            if name in self.names:
                spec = importlib.util.spec_from_loader(fullname, _Loader(self, name, package),
                                                       origin=os.path.join(self.archive, name), is_package=package)
                if package:
                    spec.submodule_search_locations = [os.path.join(self.archive, base)]
                spec.has_location = True  # __file__, as zipimport sets it
                return spec
        return None

    def invalidate_caches(self):
        pass


class _Loader(object):

    def __init__(self, finder, name, package):
        self.finder, self.name, self.package = finder, name, package

    def create_module(self, spec):
        return None  # the default module

    def exec_module(self, module):
        exec(self.get_code(module.__name__), module.__dict__)

    def is_package(self, fullname):
        return self.package

    def get_source(self, fullname):
        """For tracebacks: the code's file name is the zip member's path, found through this loader."""
        return self.finder.zip.read(self.name).decode('utf-8')

    def get_code(self, fullname):
        return self.finder.cache.code(self.name, self.finder.zip.read(self.name))


def install_code_cache(loader=None):
    """Serve the collection's module_utils from compiled code when this runs from a module's zip; returns the
    finder installed, or None."""
    archive = getattr(loader if loader is not None else __loader__, 'archive', None)  # a zipimporter's zip
    if not archive or sys.gettrace() is not None or 'coverage' in sys.modules:
        return None
    if any(isinstance(finder, ZipCodeFinder) for finder in sys.meta_path):
        return None
    directory = os.path.join(default_directory(), 'code')
    if not private_directory(directory):
        return None
    try:
        finder = ZipCodeFinder(archive, CodeCache(directory))
    except (IOError, OSError, ValueError, zipfile.BadZipfile):
        return None
    sys.meta_path.insert(0, finder)
    return finder

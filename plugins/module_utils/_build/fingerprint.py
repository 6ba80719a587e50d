# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reproducible build fingerprint (pure): context tree, Dockerfile and input options.

Only what decides the build result counts: file contents, relative paths, symlink targets and the exec
bit. Owners, mtimes and umask-dependent permission bits do not, so another clone of the same sources
on another machine gives the same fingerprint. `.dockerignore` follows buildx (moby/patternmatcher):
last matching pattern wins, `!` re-includes, `**` spans directories, a pattern that matches a parent
directory matches everything below it.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os
import posixpath
import re
import stat

VERSION = 'buildkit.fleet/fingerprint/v1'
_CHUNK = 1 << 20


class IgnorePattern(object):
    def __init__(self, text, exclusion, regex):
        self.text, self.exclusion, self.regex = text, exclusion, regex


def _compile(pattern):
    """Regex of one cleaned pattern, as patternmatcher compiles it."""
    out = ['^']
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == '*':
            if i < n and pattern[i] == '*':
                i += 1
                if i < n and pattern[i] == '/':
                    i += 1
                out.append('.*' if i >= n else '(.*/)?')
            else:
                out.append('[^/]*')
        elif ch == '?':
            out.append('[^/]')
        elif ch in '.$+()|{}^':
            out.append('\\' + ch)
        elif ch == '\\':
            if i < n:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append('\\\\')
        elif ch == '[':
            end = pattern.find(']', i)
            if end < 0:
                out.append('\\[')
            else:
                out.append('[' + pattern[i:end] + ']')  # passed through, as patternmatcher does
                i = end + 1
        else:
            out.append(ch)
    out.append('$')
    return re.compile(''.join(out), re.S)


def parse_dockerignore(text):
    """Patterns of a .dockerignore file (moby/patternmatcher/ignorefile.ReadAll)."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        exclusion = line.startswith('!')
        if exclusion:
            line = line[1:].strip()
        if not line:
            continue
        line = posixpath.normpath(line)
        if len(line) > 1 and line.startswith('/'):
            line = line[1:]
        if line in ('', '.'):
            continue
        patterns.append(IgnorePattern(line, exclusion, _compile(line)))
    return patterns


def is_excluded(relpath, patterns):
    """MatchesOrParentMatches: True when relpath ('a/b/c') is ignored."""
    matched = False
    parent = posixpath.dirname(relpath)
    parents = parent.split('/') if parent else []
    for pattern in patterns:
        if pattern.exclusion != matched:
            continue
        match = pattern.regex.match(relpath) is not None
        if not match:
            for i in range(len(parents)):
                if pattern.regex.match('/'.join(parents[:i + 1])):
                    match = True
                    break
        if match:
            matched = not pattern.exclusion
    return matched


def read_dockerignore(context, dockerfile=None):
    """Patterns buildx applies: <Dockerfile>.dockerignore beside the Dockerfile wins over <context>/.dockerignore."""
    candidates = []
    if dockerfile:
        candidates.append(dockerfile + '.dockerignore')
    candidates.append(os.path.join(context, '.dockerignore'))
    for path in candidates:
        if os.path.isfile(path):
            with open(path, 'rb') as handle:
                return parse_dockerignore(handle.read().decode('utf-8', 'replace'))
    return []


def walk(root, patterns):
    """Sorted (kind, relpath, extra) entries of the context; files get their absolute path as extra."""
    has_exceptions = any(p.exclusion for p in patterns)
    entries = []

    def visit(directory, prefix):
        try:
            items = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise FingerprintError('cannot read %s: %s' % (directory, exc))
        for item in items:
            rel = prefix + item.name
            excluded = bool(patterns) and is_excluded(rel, patterns)
            mode = item.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                if excluded and not has_exceptions:
                    continue
                before = len(entries)
                if not excluded:
                    entries.append(('d', rel, None))
                visit(item.path, rel + '/')
                if excluded and len(entries) > before:
                    entries.insert(before, ('d', rel, None))
            elif excluded:
                continue
            elif stat.S_ISLNK(mode):
                entries.append(('l', rel, os.readlink(item.path)))
            elif stat.S_ISREG(mode):
                entries.append(('x' if mode & 0o111 else 'f', rel, item.path))
            # sockets, fifos and devices are not sent by buildx either
    visit(root, '')
    return entries


class FingerprintError(Exception):
    pass


def hash_file(path):
    digest = hashlib.sha256()
    try:
        with open(path, 'rb', buffering=0) as handle:
            buf = bytearray(_CHUNK)
            view = memoryview(buf)
            while True:
                count = handle.readinto(buf)
                if not count:
                    break
                digest.update(view[:count])
    except (IOError, OSError) as exc:
        raise FingerprintError('cannot read %s: %s' % (path, exc))
    return digest.hexdigest()


# fewer files to read than this are hashed in the calling thread: a pool costs more than it saves
POOL_MIN_FILES = 8


def tree_digest(root, patterns, workers=None, hasher=None):
    """sha256 over the sorted entries: kind, relative path, and content digest or symlink target.

    hasher(path) gives a file's content digest (default: read and hash it). A hasher with a `cached(path)`
    method (a digest cache) is asked first; only the files it does not know are read, in a thread pool
    when there are many."""
    hasher = hasher or hash_file
    entries = walk(root, patterns)
    files = [extra for kind, _rel, extra in entries if kind in ('f', 'x')]
    cached = getattr(hasher, 'cached', None)
    known = dict((path, cached(path)) for path in files) if cached else {}
    missing = [path for path in files if known.get(path) is None]
    workers = workers or min(8, 2 * (os.cpu_count() or 1))
    if len(missing) >= POOL_MIN_FILES and workers > 1:
        from concurrent.futures import ThreadPoolExecutor  # only when there is much to read
        with ThreadPoolExecutor(max_workers=workers) as pool:
            known.update(zip(missing, pool.map(hasher, missing, chunksize=16)))
    else:
        known.update((path, hasher(path)) for path in missing)
    total = hashlib.sha256()
    for kind, rel, extra in entries:
        value = known[extra] if kind in ('f', 'x') else (extra or '')
        total.update(('%s\0%s\0%s\n' % (kind, rel, value)).encode('utf-8', 'surrogateescape'))
    return total.hexdigest(), len(entries)


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=True)


def fingerprint(dockerfile_text, options, contexts, hasher_for=None):
    """The fingerprint: sha256 of VERSION, the Dockerfile, the canonical options and each context tree.

    contexts: list of (name, root or None, patterns, literal) -- a local directory is hashed as a tree,
    anything else (a git or https URL, docker-image://...) counts by its literal text.
    hasher_for(root) may give a file hasher for a tree (a digest cache); it never changes the result.
    Returns (hex digest, details).
    """
    total = hashlib.sha256()
    total.update(VERSION.encode('ascii') + b'\n')
    dockerfile_digest = hashlib.sha256(dockerfile_text if isinstance(dockerfile_text, bytes)
                                       else dockerfile_text.encode('utf-8')).hexdigest()
    total.update(b'dockerfile\0' + dockerfile_digest.encode('ascii') + b'\n')
    options_text = canonical(options)
    total.update(b'options\0' + options_text.encode('ascii') + b'\n')
    details = {'dockerfile': dockerfile_digest, 'options': hashlib.sha256(options_text.encode('ascii')).hexdigest(),
               'contexts': {}}
    for name, root, patterns, literal in sorted(contexts, key=lambda c: c[0]):
        if root is not None:
            digest, count = tree_digest(root, patterns, hasher=hasher_for(root) if hasher_for else None)
            details['contexts'][name] = {'digest': digest, 'entries': count}
        else:
            digest = 'literal:' + literal
            details['contexts'][name] = {'literal': literal}
        total.update(('context\0%s\0%s\n' % (name, digest)).encode('utf-8'))
    return 'sha256:' + total.hexdigest(), details

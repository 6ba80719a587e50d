# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The buildx store (~/.docker/buildx), byte-compatible with buildx.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import contextlib
import fcntl
import json
import os
import shutil
import tempfile

from ansible_collections.buildkit.fleet.plugins.module_utils._common.times import now_text

_PLATFORM_KEYS = ('architecture', 'os', 'os.version', 'os.features', 'variant')


def default_root(environ=None):
    environ = os.environ if environ is None else environ
    if environ.get('BUILDX_CONFIG'):
        return environ['BUILDX_CONFIG']
    docker_config = environ.get('DOCKER_CONFIG') or os.path.join(os.path.expanduser('~'), '.docker')
    return os.path.join(docker_config, 'buildx')


def go_json(value):
    """json.Marshal output: compact, UTF-8, with <, > and & escaped as Go does."""
    text = json.dumps(value, separators=(',', ':'), ensure_ascii=False)
    for char, escaped in (('<', '\\u003c'), ('>', '\\u003e'), ('&', '\\u0026'),
                          (u'\u2028', '\\u2028'), (u'\u2029', '\\u2029')):
        text = text.replace(char, escaped)
    return text.encode('utf-8')


def node_to_json(node):
    platforms = [dict((k, p[k]) for k in _PLATFORM_KEYS if p.get(k)) for p in node.get('platforms') or []]
    opts = node.get('driver_opts') or {}
    files = {}
    if node.get('config') is not None:
        files['buildkitd.toml'] = base64.b64encode(node['config'].encode('utf-8')).decode('ascii')
    return {
        'Name': node['name'],
        'Endpoint': node['endpoint'],
        'Platforms': platforms or None,
        'DriverOpts': dict(sorted(opts.items())) or None,
        'Flags': list(node.get('flags') or []) or None,
        'Files': dict(sorted(files.items())) or None,
    }


def node_from_json(data):
    files = data.get('Files') or {}
    config = files.get('buildkitd.toml')
    return {
        'name': data.get('Name'),
        'endpoint': data.get('Endpoint'),
        'platforms': data.get('Platforms') or [],
        'driver_opts': data.get('DriverOpts') or {},
        'flags': data.get('Flags') or [],
        'config': base64.b64decode(config).decode('utf-8') if config is not None else None,
    }


def group_to_json(spec):
    return go_json({'Name': spec['name'], 'Driver': spec['driver'],
                    'Nodes': [node_to_json(n) for n in spec['nodes']], 'Dynamic': False})


class BuildxStore(object):
    """Reads and writes builder entries under one store root, holding buildx's flock."""

    def __init__(self, root):
        self.root = root

    def _path(self, *parts):
        return os.path.join(self.root, *parts)

    def _ensure_dirs(self):
        for sub in ('', 'instances', 'activity', 'refs'):
            path = self._path(sub)
            try:
                os.makedirs(path, 0o700)
            except OSError:  # another run made it meanwhile (or it is not a directory: checked below)
                if not os.path.isdir(path):
                    raise

    @contextlib.contextmanager
    def locked(self):
        self._ensure_dirs()
        fd = os.open(self._path('.lock'), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _atomic_write(self, relpath, data):
        # The temp file lives in the store root, never in instances/ (buildx ls reads every file there).
        fd, tmp = tempfile.mkstemp(prefix='.buildkit-fleet-', dir=self.root)
        try:
            os.write(fd, data)
            os.fchmod(fd, 0o600)
            os.close(fd)
            os.rename(tmp, self._path(relpath))
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def read(self, name):
        """The stored NodeGroup as a dict with parsed nodes, or None."""
        path = self._path('instances', name.lower())
        if not os.path.isfile(path):
            return None
        with open(path, 'rb') as handle:
            raw = handle.read()
        data = json.loads(raw.decode('utf-8'))
        return {'name': data.get('Name'), 'driver': data.get('Driver'), 'raw': raw,
                'nodes': [node_from_json(n) for n in data.get('Nodes') or []]}

    def names(self):
        path = self._path('instances')
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    def write(self, spec):
        self._atomic_write(os.path.join('instances', spec['name'].lower()), group_to_json(spec))
        self.touch_activity(spec['name'])

    def touch_activity(self, name):
        stamp = now_text().encode('ascii')
        self._atomic_write(os.path.join('activity', name), stamp)

    def current(self):
        try:
            with open(self._path('current'), 'rb') as handle:
                return json.loads(handle.read().decode('utf-8'))
        except (IOError, OSError, ValueError):
            return None

    def set_current(self, endpoint, name):
        self._atomic_write('current', go_json({'Key': endpoint, 'Name': name, 'Global': False}))

    def _trace_paths(self, name):
        return sorted(set([self._path('instances', name.lower()), self._path('activity', name),
                           self._path('activity', name.lower()), self._path('refs', name)]))

    def has_traces(self, name):
        return any(os.path.lexists(path) for path in self._trace_paths(name))

    def remove(self, name):
        """Remove instances/, activity/ and refs/ of a builder; True if anything was there."""
        removed = False
        for path in self._trace_paths(name):
            if os.path.isdir(path):
                shutil.rmtree(path)
                removed = True
            elif os.path.lexists(path):
                os.unlink(path)
                removed = True
        return removed

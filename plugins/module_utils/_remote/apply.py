# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Converge a remote-driver builder in a buildx store: check, compare, then write under buildx's lock.

Every check (options, TLS files, reachability) runs before anything is written, so a bad input leaves nothing behind.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore, default_root
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import TaskFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform
from ansible_collections.buildkit.fleet.plugins.module_utils._remote import tls_files
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.compare import differences, group_view
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.docker_context import current_key
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.reachable import probe
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.spec import DRIVER, check_name, desired, tls_dir


def _read(store, name):
    try:
        return store.read(name)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TaskFailed("name: the buildx store entry of '%s' in %s cannot be read (%s); remove it with "
                         "state=absent or docker buildx rm" % (name, store.root, exc))


def _stored_digests(stored):
    if stored is None:
        return {}
    return dict((n['name'], tls_files.stored_digests(n['driver_opts'])) for n in stored['nodes'])


def _check_driver(stored, name, store):
    if stored is not None and stored['driver'] != DRIVER:
        raise TaskFailed("name: the builder '%s' in %s uses the %s driver, not remote; remove it first or choose "
                         "another name" % (name, store.root, stored['driver']))


def builder_info(spec, digests, facts, root, is_current, copy):
    """The builder as the result shows it: paths and digests of the TLS files, never their contents."""
    nodes = []
    for node in spec['nodes']:
        node_digests = digests.get(node['name']) or {}
        node_facts = facts.get(node['name']) or {}
        nodes.append({
            'name': node['name'], 'endpoint': node['endpoint'],
            'platforms': [format_platform(p) for p in node['platforms']],
            'servername': node['driver_opts'].get('servername'),
            'tls_files': dict((opt, dict(node_facts.get(opt) or {}, path=entry['target'], source=entry['source'],
                                         sha256=node_digests.get(opt)))
                              for opt, entry in sorted(node['tls_files'].items())),
        })
    return {'name': spec['name'], 'driver': DRIVER, 'entry': os.path.join(root, 'instances', spec['name'].lower()),
            'tls_dir': tls_dir(root, spec['name']) if copy and any(n['tls_files'] for n in nodes) else None,
            'current': is_current, 'nodes': nodes}


def _present(store, root, spec, digests, facts, params, check_mode, environ):
    name = spec['name']
    stored = _read(store, name)
    _check_driver(stored, name, store)
    before = group_view(stored, _stored_digests(stored))
    after = group_view(spec, digests)
    diffs = differences(before, after)
    copy = params.get('copy_tls_files', True)
    if tls_files.has_stale(root, name, spec):
        diffs.append({'item': 'tls_dir', 'before': 'files the builder does not use', 'after': None})
    key = current_key(environ)
    current = store.current() or {}
    is_current = current.get('Name') == name and current.get('Key') == key
    if params.get('use') and not is_current:
        diffs.append({'item': 'current', 'before': current.get('Name') or None, 'after': name})
    if diffs and not check_mode:
        if copy:
            tls_files.write_copies(spec)
        store.write(spec)
        tls_files.remove_stale(root, name, spec)
        if params.get('use') and not is_current:
            store.set_current(key, name)
    now_current = is_current or bool(params.get('use'))
    return {
        'changed': bool(diffs), 'differences': diffs,
        'builder': builder_info(spec, digests, facts, root, now_current, copy),
        'diff': {'before': dict(before or {}, current=is_current) if before else {},
                 'after': dict(after, current=now_current)},
    }


def _absent(store, root, name, check_mode):
    stored = _read(store, name) if os.path.isdir(store.root) else None
    _check_driver(stored, name, store)
    before = group_view(stored, _stored_digests(stored))
    present = store.has_traces(name) or os.path.lexists(tls_dir(root, name))
    if present and not check_mode:
        with store.locked():
            store.remove(name)
            tls_files.remove_stale(root, name)
    diffs = [{'item': 'builder', 'before': name, 'after': None}] if present else []
    return {'changed': present, 'differences': diffs, 'builder': None,
            'diff': {'before': before or ({'name': name} if present else {}), 'after': {}}}


def run(params, check_mode, environ=None):
    """The module's result for the options; raises SpecError (bad input) or TaskFailed before writing anything."""
    environ = os.environ if environ is None else environ
    root = os.path.abspath(params.get('buildx_config') or default_root(environ))
    store = BuildxStore(root)
    if params['state'] == 'absent':
        check_name('name', params['name'])
        return _absent(store, root, params['name'], check_mode)
    spec = desired(params, root)
    digests, facts = tls_files.check_sources(spec)
    reachable = []
    if params.get('check_reachable'):
        for node in spec['nodes']:
            found = probe(node, params.get('connect_timeout') or 10)
            reachable.append(found)
            if found['checked'] and not found['ok']:
                raise TaskFailed('nodes[%d].endpoint: %s does not answer: %s'
                                 % (node['index'], node['endpoint'], found['error']), reachable=reachable)
    if check_mode:
        result = _present(store, root, spec, digests, facts, params, True, environ)
    else:
        with store.locked():
            result = _present(store, root, spec, digests, facts, params, False, environ)
    result['reachable'] = reachable
    return result

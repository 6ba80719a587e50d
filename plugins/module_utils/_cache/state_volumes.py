# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Orphaned builder state volumes (buildx_buildkit_<node>_state): which ones, how big, removal.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import re

from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import APIError, NotFound

STATE_VOLUME = re.compile(r'^buildx_buildkit_(.+)_state$')


def select_orphans(volume_names, store_nodes, used_volumes, pattern='*'):
    """State volumes that no store node names and no container mounts, whose node name matches ``pattern``.

    ``store_nodes`` are the node names of every builder in the store (compared exactly and lower-cased),
    ``used_volumes`` the names of the volumes any container (running or not) mounts.
    """
    known = set(store_nodes) | set(n.lower() for n in store_nodes)
    orphans = []
    for name in sorted(set(volume_names)):
        match = STATE_VOLUME.match(name)
        if not match:
            continue
        node = match.group(1)
        if node in known or node.lower() in known or name in used_volumes:
            continue
        if not fnmatch.fnmatchcase(node, pattern or '*'):
            continue
        orphans.append({'name': name, 'node': node})
    return orphans


def store_node_names(store):
    """Every node name of every builder entry in the store; unreadable entries count by their file name."""
    names = []
    for entry in store.names():
        try:
            group = store.read(entry)
        except (ValueError, IOError, OSError):
            group = None
        if group is None:
            names.append(entry + '0')
            continue
        names.extend(node['name'] for node in group['nodes'] if node.get('name'))
    return names


def state_volume_names(client):
    return [vol['Name'] for vol in (client.volumes(filters={'name': 'buildx_buildkit_'}) or {}).get('Volumes') or []
            if STATE_VOLUME.match(vol['Name'])]


def used_volume_names(client):
    used = set()
    for cont in client.containers(all=True):
        for mount in cont.get('Mounts') or []:
            if mount.get('Type') == 'volume' and mount.get('Name'):
                used.add(mount['Name'])
    return used


def volume_sizes(client, names):
    """Bytes used by each named volume (from `docker system df`), None where the daemon does not know."""
    if not names:
        return {}
    try:
        volumes = client.df().get('Volumes') or []
    except APIError:
        return dict((name, None) for name in names)
    sizes = dict((name, None) for name in names)
    for vol in volumes:
        if vol.get('Name') in sizes:
            size = (vol.get('UsageData') or {}).get('Size')
            sizes[vol['Name']] = size if isinstance(size, int) and size >= 0 else None
    return sizes


def find_orphans(client, store, pattern='*'):
    orphans = select_orphans(state_volume_names(client), store_node_names(store), used_volume_names(client), pattern)
    sizes = volume_sizes(client, [o['name'] for o in orphans])
    for orphan in orphans:
        orphan['size'] = sizes.get(orphan['name'])
    return orphans


def remove_orphan(client, name):
    """Remove one volume; returns None, or why it was kept (it came into use meanwhile, or is gone)."""
    try:
        client.remove_volume(name)
        return None
    except NotFound:
        return 'already gone'
    except APIError as exc:
        return 'kept: %s' % (exc.explanation or exc)

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-target results of one bake call: steps from `--progress rawjson`, digests from `--metadata-file` (pure).

Bake names each vertex after its target (``[web 2/3] RUN ...``, ``[web] exporting to image``) when it builds
more than one; a vertex several targets share counts for each of them. With a single target nothing is
prefixed and every vertex is that target's.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as bres
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform


def _target_of(name, targets):
    if not name.startswith('['):
        return None
    head = name[1:].split(']', 1)[0]
    word = head.split(' ', 1)[0]
    return word if word in targets else None


def progress_by_target(stderr_text, targets):
    """{target: progress (as _build.results.parse_progress gives it)} of a bake run's rawjson output."""
    per = dict((t, {'order': [], 'vertices': {}}) for t in targets)
    lone = targets[0] if len(targets) == 1 else None
    for line in stderr_text.splitlines():
        line = line.strip()
        if not line.startswith('{'):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        for vertex in event.get('vertexes') or []:
            owner = _target_of(vertex.get('name') or '', targets) or lone
            if owner is None:
                continue
            known = per[owner]
            digest = vertex.get('digest')
            if digest not in known['vertices']:
                known['vertices'][digest] = {}
                known['order'].append(digest)
            known['vertices'][digest].update(vertex)
    return dict((t, {'vertices': [v['vertices'][d] for d in v['order']], 'logs': {}, 'warnings': [], 'text': []})
                for t, v in per.items())


def steps_by_target(stderr_text, targets):
    """{target: {total, cached, executed, pulled}} as buildkit_build counts them."""
    return dict((t, bres.step_counts(p)) for t, p in progress_by_target(stderr_text, targets).items())


def summary(metadata):
    """image_id, digest and, for a single-platform image, its platform digest, from one target's metadata."""
    found = bres.summarize_metadata(metadata or {})
    descriptor = (metadata or {}).get('containerimage.descriptor') or {}
    platform = descriptor.get('platform')
    found['platform_digests'] = {format_platform(platform): descriptor.get('digest')} if platform else {}
    return found


def failure_message(stderr_text):
    """The error bake printed last (its own words), or its last lines."""
    lines = [line for line in stderr_text.splitlines() if line.strip() and not line.lstrip().startswith('{')]
    errors = [line for line in lines if line.startswith('ERROR')]
    if errors:
        return errors[-1][len('ERROR:'):].strip() if errors[-1].startswith('ERROR:') else errors[-1]
    return '\n'.join(lines[-5:]) or 'bake exited with an error and no message'

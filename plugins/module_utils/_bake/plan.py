# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which requested targets are stale, and why (pure).

A requested target is stale when its outputs do not hold its fingerprint (missing, or built from other
inputs: then the recorded input digests tell which input changed), when it has nothing to check, or when a
target it uses (directly or through dependency-only targets) is stale. Order follows the dependency graph.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import graph
from ansible_collections.buildkit.fleet.plugins.module_utils._bake.command import fingerprint_definition
from ansible_collections.buildkit.fleet.plugins.module_utils._build.fingerprint import canonical


def _diff_keys(before, after):
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _field_value(definition, field):
    if field in definition:
        return definition[field]
    key, _dot, sub = field.partition('.')
    value = definition.get(key)
    return value.get(sub) if isinstance(value, dict) else None


def changed_inputs(recorded, current, values=None, definition=None):
    """What differs between the recorded input digests and the current ones, as readable items.

    A variable given to bake (`values`, its digest in inputs.variables) is named when it changed and its
    value now shows in a changed field of the definition (a variable no field uses changes nothing)."""
    if not recorded:
        return []
    items = []
    if recorded.get('dockerfile') != current.get('dockerfile'):
        items.append('Dockerfile')
    for name in _diff_keys(recorded.get('contexts'), current.get('contexts')):
        items.append('files in the context' if name == 'context' else 'files in named context %s' % name.split(':', 1)[-1])
    fields = _diff_keys(recorded.get('definition'), current.get('definition'))
    if fields:
        texts = [canonical(_field_value(definition or {}, f)) for f in fields]
        for name in _diff_keys(recorded.get('variables'), current.get('variables')):
            value = (values or {}).get(name)
            if value is not None and any(str(value) in text for text in texts):
                items.append('variable %s' % name)
        items.append('definition (%s)' % ', '.join(fields))
    for name in _diff_keys(recorded.get('dependencies'), current.get('dependencies')):
        items.append('dependency %s' % name)
    return items


def stale_targets(requested, targets, checks, current_inputs, rebuild='changed', values=None):
    """{name: [reasons]} of the stale requested targets, and the order of every requested target.

    checks: {name: (output reason or None, recorded inputs or None)}; current_inputs: {name: inputs} (with
    `variables`, the short digests of the variables given to bake, compared with the recorded ones);
    values: the variables given to bake, to name the ones that changed a target."""
    order = [name for name in graph.build_order(targets) if name in requested]
    stale = {}
    for name in order:
        reasons = []
        reason, recorded = checks[name]
        if rebuild == 'always':
            reasons.append('rebuild=always')
        elif reason:
            current = current_inputs[name]
            changes = changed_inputs(recorded, current, values, fingerprint_definition(targets[name]))
            if changes and 'other inputs' in reason:
                reasons.append('%s; inputs changed: %s' % (reason, '; '.join(changes)))
            else:
                reasons.append(reason)
        for dep in _used(name, targets, requested):
            if dep in stale:
                reasons.append('dependency %s is rebuilt' % dep)
        if reasons:
            stale[name] = reasons
    return stale, order


def _used(name, targets, requested):
    """The requested targets `name` uses, directly or through targets that are only dependencies."""
    found, todo, seen = [], list(graph.dependencies(targets[name])), set()
    while todo:
        dep = todo.pop(0)
        if dep in seen:
            continue
        seen.add(dep)
        if dep in requested:
            found.append(dep)
        else:
            todo.extend(graph.dependencies(targets.get(dep) or {}))
    return sorted(found)


def diff(order, stale, fingerprints, recorded):
    """The --diff of the run: per target, the recorded input digests (before) and the new ones (after)."""
    before, after = {}, {}
    for name in order:
        before[name] = {'inputs': recorded.get(name) or 'none recorded'}
        after[name] = {'fingerprint': fingerprints[name][0], 'inputs': fingerprints[name][2],
                       'build': name in stale, 'reasons': stale.get(name) or []}
    return {'before': before, 'after': after}

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The target graph of a resolved bake definition (pure): requested targets, dependencies, build order.

A target depends on another when one of its named contexts is ``target:<name>``. The requested targets are
the names asked for (or the ``default`` group), groups expanded recursively; targets that bake prints only
because a requested target uses them are dependencies, built inside their dependents' builds.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

TARGET_PREFIX = 'target:'


class GraphError(ValueError):
    pass


def dependencies(definition):
    """Names of the targets one target definition uses as contexts, sorted."""
    found = set()
    for value in (definition.get('contexts') or {}).values():
        if isinstance(value, str) and value.startswith(TARGET_PREFIX):
            found.add(value[len(TARGET_PREFIX):])
    return sorted(found)


def expand(names, groups, targets):
    """The target names that `names` (targets and groups) stand for, in first-seen order."""
    result, seen = [], set()

    def visit(name, trail):
        if name in targets:
            if name not in seen:
                seen.add(name)
                result.append(name)
            return
        if name in trail:
            raise GraphError('group %s contains itself (%s)' % (name, ' -> '.join(trail + [name])))
        group = groups.get(name)
        if group is None:
            raise GraphError("'%s' is neither a target nor a group of the bake definition" % name)
        for member in group.get('targets') or []:
            visit(member, trail + [name])
    for name in names:
        visit(name, [])
    return result


def build_order(targets):
    """Every target of `targets` ({name: definition}), each after the targets it uses (sorted within a level).

    Raises GraphError for a cycle or a dependency bake did not print."""
    deps = dict((name, dependencies(definition)) for name, definition in targets.items())
    for name, used in sorted(deps.items()):
        for dep in used:
            if dep not in targets:
                raise GraphError("target %s uses target:%s, which the bake definition does not have" % (name, dep))
    order, done, active = [], set(), []

    def visit(name):
        if name in done:
            return
        if name in active:
            cycle = active[active.index(name):] + [name]
            raise GraphError('targets depend on each other: %s' % ' -> '.join(cycle))
        active.append(name)
        for dep in deps[name]:
            visit(dep)
        active.pop()
        done.add(name)
        order.append(name)
    for name in sorted(targets):
        visit(name)
    return order


def closure(names, targets):
    """`names` and every target they use, directly or not, sorted."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        todo.extend(dependencies(targets.get(name) or {}))
    return sorted(found)


def dependents(targets):
    """{name: sorted names of the targets that use it directly}."""
    users = dict((name, []) for name in targets)
    for name, definition in sorted(targets.items()):
        for dep in dependencies(definition):
            users.setdefault(dep, []).append(name)
    return users

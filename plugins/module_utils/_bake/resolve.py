# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The resolved bake definition, from bake itself (`buildx bake --print`): HCL is never parsed here.

Bake's own error for a bad definition is passed on, under the option it is about: a missing file or an HCL
error under `files`, an unknown target or group under `targets`, an override of no target under `set`.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import command as bcmd
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import graph
from ansible_collections.buildkit.fleet.plugins.module_utils._bake.results import failure_message
from ansible_collections.buildkit.fleet.plugins.module_utils._build import process
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError, TaskFailed


def check_files(params):
    """working_dir is a directory and every bake file exists (before bake is asked)."""
    root = params['working_dir']
    if not os.path.isdir(root):
        return "working_dir: '%s' is not a directory on the target" % root
    for given, path in zip(params.get('files') or [], bcmd.file_paths(params)):
        if not os.path.isfile(path):
            return "files: '%s' does not exist (%s)" % (given, path)
    return None


def option_of(message):
    """The module option a bake error is about."""
    if 'could not find any target matching' in message:
        return 'set'
    if 'failed to find target' in message or 'not a target' in message:
        return 'targets'
    if 'entitlement' in message or 'privileges' in message:
        return 'allow'
    return 'files'


def _quoted(values):
    return ', '.join("'%s'" % v for v in values) or "(the default group)"


def error_message(params, message):
    option = option_of(message)
    value = {'set': _quoted(params.get('set') or []), 'targets': _quoted(params.get('targets') or []),
             'allow': _quoted(params.get('allow') or []),
             'files': _quoted(params.get('files') or []) if params.get('files') else "(bake's default files in %s)"
             % params['working_dir']}[option]
    return '%s: bake rejects %s: %s' % (option, value, message)


def resolve(run_command, base, params, env):
    """{'group': {...}, 'target': {...}} as `bake --print` gives it; SpecError with bake's own message."""
    rc, out, err = process.run(run_command, bcmd.print_argv(base, params), env, timeout=120)
    if rc is None:
        raise TaskFailed('bake --print did not answer within 120 seconds')
    if rc != 0:
        raise SpecError(error_message(params, failure_message(err)))
    try:
        data = json.loads(out)
    except ValueError as exc:
        raise TaskFailed('bake --print gave no JSON (%s): %s' % (exc, out[:300]))
    if not isinstance(data, dict) or not isinstance(data.get('target'), dict):
        raise TaskFailed('bake --print gave no targets: %s' % out[:300])
    data.setdefault('group', {})
    return data


def requested_targets(params, resolved):
    try:
        return graph.expand(params.get('targets') or ['default'], resolved['group'], resolved['target'])
    except graph.GraphError as exc:
        raise SpecError('targets: %s' % exc)


def check_entitlements(params, targets):
    """Every entitlement a target asks for is granted by allow."""
    granted = set(params.get('allow') or [])
    granted_kinds = set(item.split('=', 1)[0] for item in granted)
    for name in sorted(targets):
        for wanted in targets[name].get('entitlements') or []:
            if wanted not in granted and wanted.split('=', 1)[0] not in granted_kinds:
                return ("allow: target '%s' needs the entitlement '%s', which allow does not grant (allow: %s); "
                        "add it to allow to build it" % (name, wanted, _quoted(sorted(granted)) if granted else '[]'))
    return None

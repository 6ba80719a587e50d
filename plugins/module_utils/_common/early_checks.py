# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that must run before AnsibleModule validates, where core's messages do not name the option."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule, _load_params

_API_VERSION_RE = re.compile(r'^(auto|\d+\.\d+)$')


def _dict_list_problem(name, value):
    if not isinstance(value, list):
        return None
    for index, item in enumerate(value):
        if isinstance(item, dict):
            continue
        if isinstance(item, str):
            if '=' in item:
                continue  # key=value, which core parses
            try:
                if isinstance(json.loads(item), dict):
                    continue
            except ValueError:
                pass
        return ("%s[%d]: each item must be a dictionary of sub-options, got %s %r"
                % (name, index, type(item).__name__, item))[:300]
    return None


def problem(argument_spec, params):
    """A message naming the option for list-of-dict items that are not dicts, or a malformed api_version."""
    for name, spec in sorted(argument_spec.items()):
        if spec.get('type') == 'list' and spec.get('elements') == 'dict':
            found = _dict_list_problem(name, params.get(name))
            if found:
                return found
    version = params.get('api_version', params.get('docker_api_version', os.environ.get('DOCKER_API_VERSION')))
    if version is not None and not _API_VERSION_RE.match(str(version)):
        return "api_version: '%s' is not a Docker API version; use auto or a version such as 1.41" % version
    return None


def _lenient(argument_spec):
    """The same options, unchecked (so AnsibleModule cannot fail first), keeping aliases and no_log."""
    spec = {}
    for name, opts in argument_spec.items():
        lenient = dict(type='raw', aliases=opts.get('aliases') or [])
        if opts.get('no_log') is not None or any((o or {}).get('no_log') for o in (opts.get('options') or {}).values()):
            lenient['no_log'] = bool(opts.get('no_log')) or bool(opts.get('options'))
        spec[name] = lenient
    return spec


def fail_early(argument_spec):
    """Fail the module when `problem` finds one, before AnsibleModule's own checks give a message without the option."""
    try:
        params = _load_params()
    except Exception:  # AnsibleModule reports unreadable arguments itself
        return
    found = problem(argument_spec, params if isinstance(params, dict) else {})
    if found:
        AnsibleModule(argument_spec=_lenient(argument_spec), supports_check_mode=True).fail_json(msg=found)

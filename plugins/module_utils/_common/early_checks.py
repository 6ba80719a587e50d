# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument checks whose failures name the option, where ansible-core's own messages do not.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule

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


# ansible-core's message for a list item it could not turn into a dictionary (it drops the item).
_ELEMENT_RE = re.compile(r"^Elements value for option '([^']+)'(?: found in '([^']+)')? is of type (.+?) "
                         r"and we were unable to convert to dict")
_CLASS_RE = re.compile(r"^<class '([^']+)'>$")  # ansible-core before 2.19 writes the type so


def core_problem(errors):
    """The message naming the option for the first list item ansible-core could not turn into a dictionary."""
    for error in errors or []:
        match = _ELEMENT_RE.match(str(getattr(error, 'msg', error)))
        if match:
            name = ' -> '.join([match.group(2), match.group(1)]) if match.group(2) else match.group(1)
            kind = _CLASS_RE.sub(r'\1', match.group(3))
            return '%s: each item must be a dictionary of sub-options, got %s' % (name, kind)
    return None


def _lenient(argument_spec):
    """The same options, unchecked (so that AnsibleModule cannot fail on them), keeping aliases and no_log (a list
    whose sub-options hold a no_log value is no_log as a whole)."""
    spec = {}
    for name, opts in argument_spec.items():
        lenient = dict(type='raw', aliases=opts.get('aliases') or [])
        if opts.get('no_log') is not None or any((o or {}).get('no_log') for o in (opts.get('options') or {}).values()):
            lenient['no_log'] = bool(opts.get('no_log')) or bool(opts.get('options'))
        spec[name] = lenient
    return spec


class CheckedModule(AnsibleModule):
    """AnsibleModule whose argument failures name the option and, for a list of dictionaries, the item.

    ansible-core validates with the module's own argument spec (so ansible-doc, validate-modules and core see the
    same options). When that validation fails on a list item that is not a dictionary, core's message names
    neither the option nor the item ("dictionary requested, could not parse JSON or key=value") and core has
    dropped the item: the arguments are then read again, unchecked, through a second AnsibleModule (public API
    only; its spec keeps aliases and no_log), and `problem` names the item with its index and value. A malformed
    api_version (core does not check it) fails with `problem`'s message after core's validation passed."""

    def __init__(self, argument_spec, **kwargs):
        self._checked_spec = argument_spec
        self._validating = True
        super(CheckedModule, self).__init__(argument_spec=argument_spec, **kwargs)
        self._validating = False
        found = problem(argument_spec, self.params)
        if found:
            self.fail_json(msg=found)

    def _item_problem(self):
        """The message naming a list item that is not a dictionary, when core's validation failed on one."""
        result = getattr(self, 'validation_result', None)
        fallback = core_problem(result.errors if result is not None else None)
        if fallback is None:
            return None
        raw = AnsibleModule(argument_spec=_lenient(self._checked_spec), supports_check_mode=True).params
        return problem(self._checked_spec, raw) or fallback

    def fail_json(self, msg, **kwargs):
        if getattr(self, '_validating', False):  # core's own validation failed: say which option and item
            self._validating = False
            msg = self._item_problem() or msg
        super(CheckedModule, self).fail_json(msg=msg, **kwargs)

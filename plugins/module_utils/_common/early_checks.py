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
from ansible.module_utils.common.validation import check_type_dict

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
_ELEMENT_RE = re.compile(r"^Elements value for option '([^']+)'(?: found in '([^']+)')? is of type (\S+) "
                         r"and we were unable to convert to dict")


def core_problem(errors):
    """The message naming the option for the first list item ansible-core could not turn into a dictionary."""
    for error in errors or []:
        match = _ELEMENT_RE.match(str(getattr(error, 'msg', error)))
        if match:
            name = ' -> '.join([match.group(2), match.group(1)]) if match.group(2) else match.group(1)
            return '%s: each item must be a dictionary of sub-options, got %s' % (name, match.group(3))
    return None


class CheckedModule(AnsibleModule):
    """AnsibleModule whose argument failures name the option: a list-of-dict item that is not a dictionary
    (core's first message, "dictionary requested, could not parse JSON or key=value", names none) and a
    malformed api_version (core does not check it). Everything else is core's own validation and message."""

    def __init__(self, argument_spec, **kwargs):
        self._checked_spec = argument_spec
        # A list of dictionaries without sub-options (their items are checked by the module, e.g. each builder of
        # buildkit_builders) reaches us unconverted, so that an item that is no dictionary is named with its index.
        loose = [name for name, opts in argument_spec.items()
                 if opts.get('type') == 'list' and opts.get('elements') == 'dict' and not opts.get('options')]
        core_spec = dict(argument_spec)
        for name in loose:
            core_spec[name] = dict(argument_spec[name], elements='raw')
        self._validating = True
        super(CheckedModule, self).__init__(argument_spec=core_spec, **kwargs)
        self._validating = False
        found = problem(argument_spec, self.params)
        if found:
            self.fail_json(msg=found)
        for name in loose:  # key=value and JSON items, as core would convert them
            if isinstance(self.params.get(name), list):
                self.params[name] = [check_type_dict(item) for item in self.params[name]]
        self.argument_spec = argument_spec

    def fail_json(self, msg, **kwargs):
        if getattr(self, '_validating', False):  # core's own validation failed: say which option and item
            self._validating = False
            result = getattr(self, 'validation_result', None)
            msg = (core_problem(result.errors if result is not None else None)
                   or problem(self._checked_spec, getattr(self, 'params', None) or {}) or msg)
        super(CheckedModule, self).fail_json(msg=msg, **kwargs)

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
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
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


_ITEM_RULES = ('options', 'mutually_exclusive', 'required_together', 'required_one_of', 'required_if',
               'required_by', 'apply_defaults')


def _secret_inside(options):
    return any(opts.get('no_log') or _secret_inside(opts.get('options') or {}) for opts in (options or {}).values())


def _check_items(name, opts, items):
    """The items of a list-of-dict option, as core would turn them out (key=value and JSON items converted,
    sub-options validated with their defaults); the first problem is raised as ValueError naming name[index]."""
    checked = []
    for index, item in enumerate(items):
        item = check_type_dict(item)
        if opts.get('options'):
            result = ArgumentSpecValidator(
                opts['options'], mutually_exclusive=opts.get('mutually_exclusive'),
                required_together=opts.get('required_together'), required_one_of=opts.get('required_one_of'),
                required_if=opts.get('required_if'), required_by=opts.get('required_by')).validate(item)
            if result.error_messages:
                raise ValueError('%s[%d]: %s' % (name, index, result.error_messages[0]))
            item = result.validated_parameters
        checked.append(item)
    return checked


class CheckedModule(AnsibleModule):
    """AnsibleModule whose argument failures name the option and, for a list of dictionaries, the item.

    Core's validation turns a list item that is not a dictionary into a message that names neither the option
    nor the item ("dictionary requested, could not parse JSON or key=value") and drops the item. So the items of
    list-of-dict options reach this class unconverted: `problem` names a bad one with its index and value, then
    each item is converted and its sub-options validated here with ansible-core's public ArgumentSpecValidator
    (a failure reads ``nodes[1]: <core's message>``). Lists whose sub-options hold a no_log value stay with core,
    which masks those values before it logs the invocation. A malformed api_version (core does not check it)
    fails with `problem`'s message too. Everything else is core's own validation."""

    def __init__(self, argument_spec, **kwargs):
        self._checked_spec = argument_spec
        core_spec, self._own_items = dict(argument_spec), {}
        for name, opts in argument_spec.items():
            if opts.get('type') == 'list' and opts.get('elements') == 'dict' and not _secret_inside(opts.get('options')):
                self._own_items[name] = opts
                core_spec[name] = dict(((k, v) for k, v in opts.items() if k not in _ITEM_RULES), elements='raw')
        self._validating = True
        super(CheckedModule, self).__init__(argument_spec=core_spec, **kwargs)
        self._validating = False
        found = problem(argument_spec, self.params)
        if found:
            self.fail_json(msg=found)
        for name, opts in self._own_items.items():
            if isinstance(self.params.get(name), list):
                try:
                    self.params[name] = _check_items(name, opts, self.params[name])
                except (TypeError, ValueError) as exc:
                    self.fail_json(msg=str(exc))
        self.argument_spec = argument_spec

    def fail_json(self, msg, **kwargs):
        if getattr(self, '_validating', False):  # core's own validation failed: say which option and item
            self._validating = False
            result = getattr(self, 'validation_result', None)
            msg = (problem(self._checked_spec, getattr(self, 'params', None) or {})
                   or core_problem(result.errors if result is not None else None) or msg)
        super(CheckedModule, self).fail_json(msg=msg, **kwargs)

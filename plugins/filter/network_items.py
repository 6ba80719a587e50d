# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: network_items
short_description: Validate network items against the one network item schema
version_added: 0.2.0
description:
  - Checks a list of network items (C(buildkit_networks) of the C(buildkit.fleet.network) and C(buildkit.fleet.builder)
    roles) against the schema of the O(buildkit.fleet.buildkit_builders#module:networks) option, on the controller,
    and returns the items with their defaults.
  - Fails naming the item and the option, for example C(buildkit_networks[1] (builders) - mtu ...).
  - The roles call it before any change, because a role argument spec cannot include the module's definition.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
options:
  _input:
    description: The network items.
    type: list
    elements: dict
    required: true
  variable:
    description: The variable name used in messages.
    type: str
    default: buildkit_networks
'''

EXAMPLES = r'''
- name: Validate the networks before any change
  ansible.builtin.set_fact:
    checked_networks: "{{ buildkit_networks | buildkit.fleet.network_items }}"
'''

RETURN = r'''
_value:
  description: The items with every option (unset ones null, defaults applied).
  type: list
  elements: dict
'''
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.buildkit.fleet.plugins.module_utils._builder.network_check import NETWORK_ITEM_OPTIONS


def _with_values(messages, item):
    """Each message with the values of the options it names (older ansible-core leaves them out)."""
    out = []
    for message in messages:
        given = ['%s=%r' % (key, value) for key, value in item.items()
                 if "'%s'" % key in message and str(value) not in message]
        out.append('%s (got %s)' % (message, ', '.join(given)) if given else message)
    return out


def network_items(items, variable='buildkit_networks'):
    if not isinstance(items, list):
        raise AnsibleFilterError('%s: must be a list of network items, got %s' % (variable, type(items).__name__))
    validator = ArgumentSpecValidator(NETWORK_ITEM_OPTIONS)
    checked, errors, seen = [], [], set()
    for index, item in enumerate(items):
        label = '%s[%d]%s' % (variable, index, ' (%s)' % item['name'] if isinstance(item, dict) and item.get('name') else '')
        if not isinstance(item, dict):
            errors.append('%s: each item must be a dictionary, got %r' % (label, item))
            continue
        result = validator.validate(dict(item))
        if result.error_messages:
            errors.append('%s: %s' % (label, '; '.join(_with_values(result.error_messages, item))))
            continue
        if result.validated_parameters['name'] in seen:
            errors.append('%s: name %s is given twice' % (label, item['name']))
        seen.add(result.validated_parameters['name'])
        checked.append(result.validated_parameters)
    if errors:
        raise AnsibleFilterError('; '.join(errors))
    return checked


class FilterModule(object):
    def filters(self):
        return {'network_items': network_items}

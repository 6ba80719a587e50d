# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: farm_builder_item
short_description: The builder item of a farm host's serving builder
version_added: 0.2.0
description:
  - The item of M(buildkit.fleet.buildkit_builders) that the P(buildkit.fleet.farm#role) role declares on a
    farm host, made of the options given as input and O(name), O(serve), O(gc), O(platforms) (these win).
  - O(gc) settings with an empty string are left out, and so is C(gc) when none is left; C(platforms) is left
    out when O(platforms) is empty.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
options:
  _input:
    description: More options of the item (C(farm_builder_options)).
    type: dict
    required: true
  name:
    description: The builder's name.
    type: str
    required: true
  serve:
    description: The O(buildkit.fleet.buildkit_builders#module:builders[].serve) settings.
    type: dict
    required: true
  gc:
    description: The O(buildkit.fleet.buildkit_builders#module:builders[].gc) settings; empty strings are left out.
    type: dict
    default: {}
  platforms:
    description: The platforms the host builds natively.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Declare the serving builder
  buildkit.fleet.buildkit_builders:
    builders:
      - "{{ {'pull': true} | buildkit.fleet.farm_builder_item('farm', serve, gc={'max_used_space': '20GB', 'keep_duration': ''},
           platforms=['linux/arm64']) }}"
'''

RETURN = r'''
_value:
  description: The builder item.
  type: dict
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.builder_item import builder_item


def farm_builder_item(options, name, serve, gc=None, platforms=None):
    for label, value in (('options', options), ('serve', serve), ('gc', gc)):
        if value is not None and not isinstance(value, Mapping):
            raise AnsibleFilterError('farm_builder_item: %s must be a dictionary, got %r' % (label, value))
    if platforms is not None and (isinstance(platforms, str) or not isinstance(platforms, (list, tuple))):
        raise AnsibleFilterError('farm_builder_item: platforms must be a list, got %r' % (platforms,))
    return builder_item(options, name, serve, gc, platforms)


class FilterModule(object):
    def filters(self):
        return {'farm_builder_item': farm_builder_item}

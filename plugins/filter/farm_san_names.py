# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: farm_san_names
short_description: The names clients may use for a farm host
version_added: 0.2.0
description:
  - The names of a host of the P(buildkit.fleet.farm#role) role that its server certificate carries and its
    serving builder answers to, in order and without repeats, each as a string.
  - The inventory name, then O(ansible_host) (the inventory name when omitted), then O(extra_sans).
author:
  - buildkit.fleet contributors (@buildkit-fleet)
options:
  _input:
    description: The inventory name of the host.
    type: str
    required: true
  ansible_host:
    description: The address Ansible connects to; omitted or null means the inventory name.
    type: str
  extra_sans:
    description: More names or addresses (C(farm_extra_sans)).
    type: list
    elements: str
    default: []
seealso:
  - plugin: buildkit.fleet.farm_sans
    plugin_type: filter
'''

EXAMPLES = r'''
- name: The names of this host
  ansible.builtin.debug:
    msg: "{{ inventory_hostname | buildkit.fleet.farm_san_names(ansible_host | default(none), ['farm-a.example']) }}"
  # farm-a, 192.0.2.10, farm-a.example
'''

RETURN = r'''
_value:
  description: The names, without repeats.
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.sans import san_names


def farm_san_names(inventory_hostname, ansible_host=None, extra_sans=None):
    if extra_sans is not None and (isinstance(extra_sans, str) or not isinstance(extra_sans, (list, tuple))):
        raise AnsibleFilterError('farm_san_names: extra_sans must be a list of names, got %r' % (extra_sans,))
    return san_names(inventory_hostname, ansible_host, extra_sans)


class FilterModule(object):
    def filters(self):
        return {'farm_san_names': farm_san_names}

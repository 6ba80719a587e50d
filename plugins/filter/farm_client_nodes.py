# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: farm_client_nodes
short_description: The nodes of a farm client's remote builder
version_added: 0.2.0
description:
  - One node of O(buildkit.fleet.buildkit_remote_builder#module:nodes) per host of the input (the farm's group),
    as the P(buildkit.fleet.farm#role) role writes them on a client.
  - C(name) is the inventory name with every character but letters, digits, C(_) and C(-) turned into C(_);
    C(endpoint) is C(tcp://<ansible_host or name>:<port>) (an IPv6 address in brackets), the port being the
    host's C(farm_port) or O(port); C(servername) is the inventory name (a name of its server certificate);
    C(platforms) is the host's C(farm_platforms) or O(platforms), left out when empty.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
options:
  _input:
    description: The inventory names of the farm's hosts.
    type: list
    elements: str
    required: true
  hostvars:
    description: The variables of each host (C(hostvars)).
    type: dict
    required: true
  port:
    description: The port of a host without C(farm_port).
    type: int
    required: true
  platforms:
    description: The platforms of a host without C(farm_platforms).
    type: list
    elements: str
    default: []
  ca_cert:
    description: The CA certificate on the client.
    type: path
    required: true
  cert:
    description: The client certificate on the client.
    type: path
    required: true
  key:
    description: The client key on the client.
    type: path
    required: true
'''

EXAMPLES = r'''
- name: The farm as a remote builder
  buildkit.fleet.buildkit_remote_builder:
    name: farm
    nodes: "{{ groups['farm'] | buildkit.fleet.farm_client_nodes(hostvars, 1234, [], ca_cert='/etc/farm/ca.pem',
      cert='/etc/farm/client.pem', key='/etc/farm/client-key.pem') }}"
'''

RETURN = r'''
_value:
  description: The nodes, in the order of the hosts.
  type: list
  elements: dict
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.nodes import client_nodes


def farm_client_nodes(hosts, hostvars, port, platforms=None, ca_cert=None, cert=None, key=None):
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError('farm_client_nodes: expects a list of inventory names, got %r' % (hosts,))
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError('farm_client_nodes: hostvars must be a mapping of host names, got %s' % type(hostvars).__name__)
    return client_nodes(hosts, hostvars, port, platforms, ca_cert, cert, key)


class FilterModule(object):
    def filters(self):
        return {'farm_client_nodes': farm_client_nodes}

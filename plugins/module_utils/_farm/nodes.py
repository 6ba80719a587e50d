# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nodes of a farm client's remote builder: one per host of the farm's group (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.common.text.converters import to_text

_NODE_NAME_BAD = re.compile(r'[^A-Za-z0-9_-]')


def node_name(host):
    """A buildx node name for inventory name HOST: every character but letters, digits, _ and - becomes _."""
    return _NODE_NAME_BAD.sub('_', to_text(host))


def endpoint(address, port):
    """tcp://<address>:<port>, an IPv6 address (any address with ':') in brackets."""
    address = to_text(address)
    if ':' in address and not address.startswith('['):
        address = '[%s]' % address
    return 'tcp://%s:%s' % (address, to_text(port))


def client_nodes(hosts, hostvars, port, platforms, ca_cert, cert, key):
    """One node per name of HOSTS: endpoint tcp://<ansible_host or name>:<the host's farm_port or PORT>, the
    host's farm_platforms (or PLATFORMS) when any, servername the inventory name (a SAN of its certificate), and
    the client's TLS files CA_CERT, CERT, KEY. HOSTVARS: a mapping of host name to its variables."""
    nodes = []
    for host in hosts or []:
        hv = hostvars[host] if host in hostvars else {}
        address = hv['ansible_host'] if 'ansible_host' in hv else host
        node = {
            'name': node_name(host),
            'endpoint': endpoint(address, hv['farm_port'] if 'farm_port' in hv else port),
            'servername': to_text(host),
            'ca_cert': ca_cert,
            'cert': cert,
            'key': key,
        }
        host_platforms = hv['farm_platforms'] if 'farm_platforms' in hv else platforms
        if host_platforms:
            node['platforms'] = list(host_platforms)
        nodes.append(node)
    return nodes

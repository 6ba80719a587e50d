# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: farm_sans
short_description: The subjectAltName entries of a farm host's server certificate
version_added: 0.2.0
description:
  - Turns names into subjectAltName entries for community.crypto.openssl_csr_pipe
    (the P(buildkit.fleet.farm#role) role's server certificates).
  - An IPv4 or IPv6 address (as Python's C(ipaddress) module reads it) becomes C(IP:<address>) in compressed form
    (the way community.crypto.x509_certificate_info reads it back), any other name C(DNS:<name>).
author:
  - buildkit.fleet contributors (@buildkit-fleet)
options:
  _input:
    description: The names, for example the result of P(buildkit.fleet.farm_san_names#filter).
    type: list
    elements: str
    required: true
seealso:
  - plugin: buildkit.fleet.farm_san_names
    plugin_type: filter
'''

EXAMPLES = r'''
- name: The entries of three names
  ansible.builtin.debug:
    msg: "{{ ['farm-a', '192.0.2.10', '2001:db8::0:1'] | buildkit.fleet.farm_sans }}"
  # DNS:farm-a, IP:192.0.2.10, IP:2001:db8::1
'''

RETURN = r'''
_value:
  description: The entries, in the order of the names.
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.sans import subject_alt_names


def farm_sans(names):
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise AnsibleFilterError('farm_sans: expects a list of names, got %r' % (names,))
    return subject_alt_names(names)


class FilterModule(object):
    def filters(self):
        return {'farm_sans': farm_sans}

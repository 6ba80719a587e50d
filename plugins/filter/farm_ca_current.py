# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: farm_ca_current
short_description: Whether the CA certificate the farm role made is current
version_added: 0.2.0
description:
  - True when the CA certificate the P(buildkit.fleet.farm#role) role made is valid past the renewal window and
    has the subject O(common_name), the basic constraints C(CA:TRUE, pathlen:0), the key usages
    C(Certificate Sign) and C(CRL Sign), and the public key of O(ca_key).
  - False on any doubt (a missing or unreadable certificate, a key not read), which leaves the decision to
    community.crypto.x509_certificate.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
options:
  _input:
    description: The registered result of community.crypto.x509_certificate_info on the CA certificate, with
      C(valid_at.renew) asked.
    type: dict
    required: true
  ca_key:
    description: The registered result of community.crypto.openssl_privatekey on the CA key (its C(fingerprint)).
    type: dict
    required: true
  common_name:
    description: The CA's common name.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Sign the CA only when it is not current
  community.crypto.openssl_csr_pipe:
    privatekey_path: /etc/farm/ca-key.pem
    common_name: buildkit.fleet farm CA
  register: ca_csr
  when: not (ca_info | buildkit.fleet.farm_ca_current(ca_key, 'buildkit.fleet farm CA'))
'''

RETURN = r'''
_value:
  description: Whether the CA certificate is current.
  type: bool
'''

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.ca import ca_current


def farm_ca_current(ca_info, ca_key, common_name):
    return ca_current(ca_info, ca_key, common_name)


class FilterModule(object):
    def filters(self):
        return {'farm_ca_current': farm_ca_current}

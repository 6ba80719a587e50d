# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: farm_cert_current
short_description: Whether a server or client certificate the farm role issued is current
version_added: 0.2.0
description:
  - True when a certificate the P(buildkit.fleet.farm#role) role issued is valid past the renewal window, the CA
    is not about to be issued again (O(ca_changed)), and the certificate has the subject O(name), the
    subjectAltName entries O(sans) (server) or none (client), the extended key usage C(serverAuth) (server) or
    C(clientAuth) (client), the key usage C(digitalSignature), the basic constraints C(CA:FALSE), the public key of
    O(key) and the authority key identifier O(ca_ski).
  - False on any doubt (a missing or unreadable certificate, a key not read), which leaves the decision to
    community.crypto.x509_certificate.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
options:
  _input:
    description: The result of community.crypto.x509_certificate_info on the certificate (one item of a looped
      result), with C(valid_at.renew) asked.
    type: dict
    required: true
  key:
    description: The result of community.crypto.openssl_privatekey on the certificate's key (its C(fingerprint)).
    type: dict
    required: true
  name:
    description: The certificate's common name.
    type: str
    required: true
  kind:
    description: The kind of certificate.
    type: str
    required: true
    choices: [server, client]
  sans:
    description: The subjectAltName entries of a server certificate (see P(buildkit.fleet.farm_sans#filter)).
    type: list
    elements: str
    default: []
  ca_changed:
    description: The CA certificate is (to be) issued again.
    type: bool
    default: false
  ca_ski:
    description: The subject key identifier of the CA certificate in place.
    type: str
seealso:
  - plugin: buildkit.fleet.farm_ca_current
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Issue the certificate only when it is not current
  community.crypto.openssl_csr_pipe:
    privatekey_path: /etc/farm/clients/ci/key.pem
    common_name: ci
    extended_key_usage: [clientAuth]
  register: csr
  when: not (cert_info | buildkit.fleet.farm_cert_current(key, 'ci', 'client', ca_ski=ca_info.subject_key_identifier))
'''

RETURN = r'''
_value:
  description: Whether the certificate is current.
  type: bool
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.certificate import cert_current


def farm_cert_current(cert_info, key, name, kind, sans=None, ca_changed=False, ca_ski=None):
    try:
        return cert_current(cert_info, key, name, kind, sans, ca_changed, ca_ski)
    except ValueError as exc:
        raise AnsibleFilterError('farm_cert_current: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'farm_cert_current': farm_cert_current}

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is the CA certificate the farm role made current? (pure)

Current: valid past the renewal window, with the key, subject and constraints the role gives it. Any doubt (a
missing or unreadable certificate, a key that was not read) answers False, which leaves the decision to
community.crypto.x509_certificate.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.info import field

CA_BASIC_CONSTRAINTS = ['CA:TRUE', 'pathlen:0']
CA_KEY_USAGE = ['CRL Sign', 'Certificate Sign']


def ca_current(ca_info, ca_key, common_name):
    """CA_INFO: the result of community.crypto.x509_certificate_info (valid_at.renew asked); CA_KEY: the
    result of community.crypto.openssl_privatekey for the CA key; COMMON_NAME: the CA's subject."""
    if not field(ca_info, 'valid_at', 'renew'):
        return False
    if field(ca_info, 'subject') != {'commonName': common_name}:
        return False
    if field(ca_info, 'basic_constraints') != CA_BASIC_CONSTRAINTS:
        return False
    key_usage = field(ca_info, 'key_usage')
    if not isinstance(key_usage, list) or sorted(key_usage) != CA_KEY_USAGE:
        return False
    cert_fingerprint = field(ca_info, 'public_key_fingerprints', 'sha256')
    key_fingerprint = field(ca_key, 'fingerprint', 'sha256')
    return cert_fingerprint is not None and key_fingerprint is not None and cert_fingerprint == key_fingerprint

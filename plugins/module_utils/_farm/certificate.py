# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is a server or client certificate the farm role issued current? (pure)

Current: valid past the renewal window, signed by the CA in place (which is not about to change), with the
names, usages and key the role gives it. Any doubt answers False, which leaves the decision to
community.crypto.x509_certificate.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.info import field

KINDS = ('server', 'client')
EXTENDED_KEY_USAGE = {'server': 'TLS Web Server Authentication', 'client': 'TLS Web Client Authentication'}


def _flag(value):
    return boolean(value, strict=False) if isinstance(value, str) else bool(value)


def cert_current(cert_info, key, name, kind, sans=None, ca_changed=False, ca_ski=None):
    """CERT_INFO: the result of community.crypto.x509_certificate_info (valid_at.renew asked) for the
    certificate of NAME; KEY: the result of community.crypto.openssl_privatekey for its key; KIND: server or
    client; SANS: the subjectAltName entries a server certificate carries (a client one carries none);
    CA_CHANGED: the CA is (to be) issued again; CA_SKI: the subject key identifier of the CA in place."""
    if kind not in KINDS:
        raise ValueError('kind must be one of %s, got %r' % (', '.join(KINDS), kind))
    if not field(cert_info, 'valid_at', 'renew') or _flag(ca_changed):
        return False
    if field(cert_info, 'subject') != {'commonName': name}:
        return False
    wanted_sans = list(sans or []) if kind == 'server' else []
    if sorted(field(cert_info, 'subject_alt_name') or []) != sorted(wanted_sans):
        return False
    if field(cert_info, 'extended_key_usage') != [EXTENDED_KEY_USAGE[kind]]:
        return False
    if field(cert_info, 'key_usage') != ['Digital Signature'] or field(cert_info, 'basic_constraints') != ['CA:FALSE']:
        return False
    cert_fingerprint = field(cert_info, 'public_key_fingerprints', 'sha256')
    if cert_fingerprint is None or cert_fingerprint != field(key, 'fingerprint', 'sha256'):
        return False
    authority = field(cert_info, 'authority_key_identifier')
    return bool(authority) and bool(ca_ski) and authority == ca_ski

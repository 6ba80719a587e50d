# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: farm_tls_changes
short_description: Check mode, whether the TLS files the farm role copies would change
version_added: 0.2.0
description:
  - True when the TLS files the P(buildkit.fleet.farm#role) role copies to a host or a client are missing there
    or would change, so that check mode predicts the builder instead of asking it.
  - A copy that changes, or that could not run (skipped; its source is not on the controller yet), counts as a
    change, and so does any true flag of O(issued).
author:
  - buildkit.fleet contributors (@buildkit-fleet)
options:
  _input:
    description: The registered result of the looped copy of the CA certificate and the certificate.
    type: dict
    required: true
  key_copy:
    description: The registered result of the key's copy.
    type: dict
    required: true
  issued:
    description: Flags that a certificate is (to be) issued or renewed on the controller (positional arguments
      after O(key_copy)).
    type: list
    elements: bool
'''

EXAMPLES = r'''
- name: Predict the builder in check mode
  ansible.builtin.debug:
    msg: the real run copies the TLS files, then converges the builder
  changed_when: true
  when: ansible_check_mode and (certs_copy | buildkit.fleet.farm_tls_changes(key_copy, cert_changed | default(false)))
'''

RETURN = r'''
_value:
  description: Whether the files are missing or would change.
  type: bool
'''

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.changes import tls_changes


def farm_tls_changes(certs_copy, key_copy, *issued):
    return tls_changes(certs_copy, key_copy, *issued)


class FilterModule(object):
    def filters(self):
        return {'farm_tls_changes': farm_tls_changes}

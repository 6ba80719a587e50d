# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The names of a farm host and its server certificate's subjectAltName (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

from ansible.module_utils.common.text.converters import to_text


def ip_address(name):
    """The address NAME spells (an ipaddress object), or None when NAME is not an IPv4 or IPv6 address."""
    try:
        return ipaddress.ip_address(to_text(name).strip())
    except ValueError:
        return None


def san_names(inventory_hostname, ansible_host=None, extra_sans=None):
    """The names clients may use for a host, in order and without repeats: its inventory name, its ansible_host
    (the inventory name when unset) and the extra names, each as text."""
    names = []
    host = inventory_hostname if ansible_host is None else ansible_host
    for name in [inventory_hostname, host] + list(extra_sans or []):
        name = to_text(name)
        if name not in names:
            names.append(name)
    return names


def subject_alt_names(names):
    """The subjectAltName entries of NAMES: IP:<address> for an IPv4 or IPv6 address (written the way the
    certificate information reads it back: the compressed form), DNS:<name> for the rest."""
    out = []
    for name in names:
        address = ip_address(name)
        out.append('IP:%s' % address if address is not None else 'DNS:%s' % to_text(name))
    return out

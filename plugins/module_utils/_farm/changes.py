# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check mode: would the TLS files the farm role copies to a host change? (pure)

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean


def _flag(value):
    """A flag as a boolean (a set_fact may hand over the text True or False)."""
    return boolean(value, strict=False) if isinstance(value, str) else bool(value)


def _is(result, flag):
    """The changed or skipped test of a registered result (a looped task without the flag: any of its items)."""
    if not isinstance(result, Mapping):
        return False
    if flag in result or 'results' not in result:
        return _flag(result.get(flag, False))
    return flag == 'changed' and any(isinstance(item, Mapping) and _flag(item.get(flag, False)) for item in result['results'] or [])


def tls_changes(certs_copy, key_copy, *issued):
    """True when the files are missing on the host or would change.

    CERTS_COPY: the registered result of the looped copy of the CA and the certificate; KEY_COPY: that of the
    key's copy; ISSUED: flags saying a certificate is (to be) issued or renewed on the controller. A copy that
    changes, or that could not run (skipped: its source is not on the controller yet), counts as a change.
    """
    if any(_flag(flag) for flag in issued):
        return True
    if _is(certs_copy, 'changed') or _is(key_copy, 'changed') or _is(key_copy, 'skipped'):
        return True
    results = certs_copy.get('results') if isinstance(certs_copy, Mapping) else None
    return any(isinstance(item, Mapping) and 'skipped' in item for item in results or [])

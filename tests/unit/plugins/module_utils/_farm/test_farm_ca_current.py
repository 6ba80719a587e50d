# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.ca import ca_current

CN = 'buildkit.fleet farm CA'
INFO = {
    'valid_at': {'renew': True},
    'subject': {'commonName': CN},
    'basic_constraints': ['CA:TRUE', 'pathlen:0'],
    'key_usage': ['Certificate Sign', 'CRL Sign'],
    'public_key_fingerprints': {'sha256': 'aa:bb'},
}
KEY = {'changed': False, 'fingerprint': {'sha256': 'aa:bb'}}


def _with(path, value):
    info = copy.deepcopy(INFO)
    data = info
    for key in path[:-1]:
        data = data[key]
    if value is None:
        del data[path[-1]]
    else:
        data[path[-1]] = value
    return info


def test_current():
    assert ca_current(INFO, KEY, CN) is True


def test_key_usage_in_any_order():
    assert ca_current(_with(['key_usage'], ['CRL Sign', 'Certificate Sign']), KEY, CN) is True


@pytest.mark.parametrize('path, value', [
    (['valid_at', 'renew'], False),
    (['valid_at'], None),
    (['subject'], {'commonName': 'other CA'}),
    (['subject'], {'commonName': CN, 'organizationName': 'x'}),
    (['basic_constraints'], ['CA:TRUE']),
    (['key_usage'], ['Certificate Sign']),
    (['key_usage'], None),
    (['public_key_fingerprints', 'sha256'], 'cc:dd'),
    (['public_key_fingerprints'], None),
])
def test_not_current(path, value):
    assert ca_current(_with(path, value), KEY, CN) is False


def test_unreadable_certificate_is_not_current():
    assert ca_current({'failed': False, 'msg': 'The file does not exist'}, KEY, CN) is False


@pytest.mark.parametrize('key', [
    {'skipped': True, 'changed': False},
    {'fingerprint': {'sha256': 'cc:dd'}},
    {'fingerprint': {}},
    None,
])
def test_key_not_read_or_other_is_not_current(key):
    assert ca_current(INFO, key, CN) is False

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.certificate import cert_current

SANS = ['DNS:farm-b', 'IP:127.0.0.1', 'DNS:farm-b.example', 'IP:::1']
SERVER = {
    'valid_at': {'renew': True},
    'subject': {'commonName': 'farm-b'},
    'subject_alt_name': ['DNS:farm-b', 'DNS:farm-b.example', 'IP:127.0.0.1', 'IP:::1'],
    'extended_key_usage': ['TLS Web Server Authentication'],
    'key_usage': ['Digital Signature'],
    'basic_constraints': ['CA:FALSE'],
    'public_key_fingerprints': {'sha256': 'aa'},
    'authority_key_identifier': 'ca:ski',
}
CLIENT = dict(SERVER, subject={'commonName': 'ci'}, subject_alt_name=None, extended_key_usage=['TLS Web Client Authentication'])
KEY = {'changed': False, 'fingerprint': {'sha256': 'aa'}}


def _with(info, key, value):
    info = copy.deepcopy(info)
    if value is None:
        del info[key]
    else:
        info[key] = value
    return info


def test_current_server_and_client():
    assert cert_current(SERVER, KEY, 'farm-b', 'server', SANS, False, 'ca:ski') is True
    assert cert_current(CLIENT, KEY, 'ci', 'client', [], False, 'ca:ski') is True
    # a client certificate carries no names, whatever sans says
    assert cert_current(CLIENT, KEY, 'ci', 'client', SANS, False, 'ca:ski') is True


@pytest.mark.parametrize('key, value', [
    ('valid_at', {'renew': False}),
    ('valid_at', None),
    ('subject', {'commonName': 'farm-a'}),
    ('subject_alt_name', ['DNS:farm-b']),
    ('subject_alt_name', None),
    ('extended_key_usage', ['TLS Web Client Authentication']),
    ('key_usage', ['Digital Signature', 'Key Encipherment']),
    ('basic_constraints', ['CA:TRUE']),
    ('public_key_fingerprints', {'sha256': 'bb'}),
    ('public_key_fingerprints', None),
    ('authority_key_identifier', 'other'),
    ('authority_key_identifier', None),
    ('authority_key_identifier', ''),
])
def test_not_current_server(key, value):
    assert cert_current(_with(SERVER, key, value), KEY, 'farm-b', 'server', SANS, False, 'ca:ski') is False


def test_a_client_certificate_with_names_or_server_usage_is_not_current():
    assert cert_current(_with(CLIENT, 'subject_alt_name', ['DNS:ci']), KEY, 'ci', 'client', [], False, 'ca:ski') is False
    assert cert_current(SERVER, KEY, 'farm-b', 'client', [], False, 'ca:ski') is False


@pytest.mark.parametrize('ca_changed, ca_ski, key', [
    (True, 'ca:ski', KEY),
    ('True', 'ca:ski', KEY),
    (False, '', KEY),
    (False, None, KEY),
    (False, 'other', KEY),
    (False, 'ca:ski', {'skipped': True}),
    (False, 'ca:ski', {'fingerprint': {'sha256': 'bb'}}),
])
def test_the_ca_or_the_key_decide(ca_changed, ca_ski, key):
    assert cert_current(SERVER, key, 'farm-b', 'server', SANS, ca_changed, ca_ski) is False


def test_an_unreadable_certificate_is_not_current():
    assert cert_current({'msg': 'The file does not exist'}, KEY, 'ci', 'client', [], False, 'ca:ski') is False


def test_a_bad_kind_is_named():
    with pytest.raises(ValueError, match="kind.*'peer'"):
        cert_current(SERVER, KEY, 'farm-b', 'peer')

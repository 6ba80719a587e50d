# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.buildkit.fleet.plugins.filter.farm_builder_item import farm_builder_item
from ansible_collections.buildkit.fleet.plugins.filter.farm_ca_current import farm_ca_current
from ansible_collections.buildkit.fleet.plugins.filter.farm_cert_current import farm_cert_current
from ansible_collections.buildkit.fleet.plugins.filter.farm_client_nodes import farm_client_nodes
from ansible_collections.buildkit.fleet.plugins.filter.farm_san_names import farm_san_names
from ansible_collections.buildkit.fleet.plugins.filter.farm_sans import farm_sans
from ansible_collections.buildkit.fleet.plugins.filter.farm_tls_changes import farm_tls_changes

FILTERS = ['farm_builder_item', 'farm_ca_current', 'farm_cert_current', 'farm_client_nodes', 'farm_san_names', 'farm_sans', 'farm_tls_changes']


@pytest.mark.parametrize('name', FILTERS)
def test_each_file_offers_its_filter_with_its_docs(name):
    plugin = importlib.import_module('ansible_collections.buildkit.fleet.plugins.filter.%s' % name)
    assert list(plugin.FilterModule().filters()) == [name]
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc['name'] == name and doc['version_added'] == '0.2.0' and '_input' in doc['options']
    assert '_value' in yaml.safe_load(plugin.RETURN)
    assert 'buildkit.fleet.%s' % name in plugin.EXAMPLES


def test_the_role_names_of_a_host_and_their_entries():
    names = farm_san_names('farm-b', '127.0.0.1', ['farm-b.example', '::1'])
    assert names == ['farm-b', '127.0.0.1', 'farm-b.example', '::1']
    assert farm_sans(names) == ['DNS:farm-b', 'IP:127.0.0.1', 'DNS:farm-b.example', 'IP:::1']
    assert farm_san_names('farm-b') == ['farm-b']


@pytest.mark.parametrize('call, words', [
    (lambda: farm_sans('farm-a'), ['farm_sans', 'list', 'farm-a']),
    (lambda: farm_san_names('farm-a', None, 'farm-a.example'), ['extra_sans', 'farm-a.example']),
    (lambda: farm_builder_item([], 'farm', {}), ['options', 'dictionary']),
    (lambda: farm_builder_item({}, 'farm', {}, gc='20GB'), ['gc', '20GB']),
    (lambda: farm_builder_item({}, 'farm', {}, platforms='linux/amd64'), ['platforms', 'linux/amd64']),
    (lambda: farm_client_nodes('farm', {}, 1234), ['farm_client_nodes', 'farm']),
    (lambda: farm_client_nodes(['farm'], [], 1234), ['hostvars', 'list']),
    (lambda: farm_cert_current({}, {}, 'ci', 'peer'), ['farm_cert_current', 'kind', 'peer']),
])
def test_bad_input_names_the_argument_and_the_value(call, words):
    with pytest.raises(AnsibleFilterError) as err:
        call()
    assert all(w in str(err.value) for w in words), str(err.value)


def test_builder_item_and_nodes_through_the_filters():
    item = farm_builder_item({}, 'farm', {'port': '1234'}, gc={'max_used_space': '20GB', 'keep_duration': ''}, platforms=['linux/amd64'])
    assert item == {'name': 'farm', 'serve': {'port': '1234'}, 'gc': {'max_used_space': '20GB'}, 'platforms': ['linux/amd64']}
    nodes = farm_client_nodes(['farm-a'], {'farm-a': {'ansible_host': '::1'}}, 1234, [], ca_cert='ca', cert='c', key='k')
    assert nodes == [{'name': 'farm-a', 'endpoint': 'tcp://[::1]:1234', 'servername': 'farm-a', 'ca_cert': 'ca', 'cert': 'c', 'key': 'k'}]


def test_ca_current_and_tls_changes_through_the_filters():
    info = {'valid_at': {'renew': True}, 'subject': {'commonName': 'CA'}, 'basic_constraints': ['CA:TRUE', 'pathlen:0'],
            'key_usage': ['Certificate Sign', 'CRL Sign'], 'public_key_fingerprints': {'sha256': 'f'}}
    assert farm_ca_current(info, {'fingerprint': {'sha256': 'f'}}, 'CA') is True
    assert farm_ca_current(info, {'skipped': True}, 'CA') is False
    assert farm_tls_changes({'changed': False, 'results': []}, {'changed': False}) is False
    assert farm_tls_changes({'changed': False, 'results': []}, {'changed': False}, False, True) is True


def test_cert_current_through_the_filter():
    info = {'valid_at': {'renew': True}, 'subject': {'commonName': 'ci'}, 'extended_key_usage': ['TLS Web Client Authentication'],
            'key_usage': ['Digital Signature'], 'basic_constraints': ['CA:FALSE'], 'public_key_fingerprints': {'sha256': 'f'},
            'authority_key_identifier': 'ski'}
    assert farm_cert_current(info, {'fingerprint': {'sha256': 'f'}}, 'ci', 'client', [], False, 'ski') is True
    assert farm_cert_current(info, {'fingerprint': {'sha256': 'f'}}, 'ci', 'client', ca_changed=True, ca_ski='ski') is False

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.sans import ip_address, san_names, subject_alt_names


def test_names_in_order_without_repeats():
    assert san_names('farm-a', '127.0.0.1', ['farm-a.example', '::1', 'farm-a']) == ['farm-a', '127.0.0.1', 'farm-a.example', '::1']


def test_no_ansible_host_means_the_inventory_name():
    assert san_names('farm-a') == ['farm-a']
    assert san_names('farm-a', None, []) == ['farm-a']


def test_names_become_text():
    assert san_names('farm-a', '10.0.0.1', [5]) == ['farm-a', '10.0.0.1', '5']


@pytest.mark.parametrize('name, entry', [
    ('farm-a', 'DNS:farm-a'),
    ('farm-a.example', 'DNS:farm-a.example'),
    ('*.farm.example', 'DNS:*.farm.example'),
    ('127.0.0.1', 'IP:127.0.0.1'),
    ('192.0.2.10', 'IP:192.0.2.10'),
    ('::1', 'IP:::1'),
    ('2001:db8:0:0::1', 'IP:2001:db8::1'),
    ('2001:DB8::1', 'IP:2001:db8::1'),
    ('1.2.3', 'DNS:1.2.3'),
    ('300.1.1.1', 'DNS:300.1.1.1'),
    ('1.2.3.4.example', 'DNS:1.2.3.4.example'),
])
def test_ips_are_ip_entries_the_rest_dns(name, entry):
    assert subject_alt_names([name]) == [entry]


def test_entries_keep_the_order():
    assert subject_alt_names(['farm-b', '127.0.0.1', 'farm-b.example', '::1']) == [
        'DNS:farm-b', 'IP:127.0.0.1', 'DNS:farm-b.example', 'IP:::1']


def test_ip_address():
    assert ip_address('10.1.2.3').version == 4
    assert ip_address('fe80::1').version == 6
    assert ip_address('farm') is None
    assert ip_address('') is None

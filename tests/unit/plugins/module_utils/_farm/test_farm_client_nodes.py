# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.nodes import client_nodes, endpoint, node_name

TLS = dict(ca_cert='/c/ca.pem', cert='/c/client.pem', key='/c/client-key.pem')


def test_one_node_per_host():
    hostvars = {
        'farm-a': {'ansible_host': '127.0.0.1', 'farm_port': 40001, 'farm_platforms': ['linux/amd64']},
        'farm-b.example': {'farm_port': '40002'},
    }
    nodes = client_nodes(['farm-a', 'farm-b.example'], hostvars, 1234, [], **TLS)
    assert nodes == [
        dict(TLS, name='farm-a', endpoint='tcp://127.0.0.1:40001', servername='farm-a', platforms=['linux/amd64']),
        dict(TLS, name='farm-b_example', endpoint='tcp://farm-b.example:40002', servername='farm-b.example'),
    ]
    assert list(nodes[0]) == ['name', 'endpoint', 'servername', 'ca_cert', 'cert', 'key', 'platforms']


def test_the_client_defaults_for_a_host_without_its_own():
    nodes = client_nodes(['farm-c'], {'farm-c': {}}, 1234, ['linux/arm64'], **TLS)
    assert nodes[0]['endpoint'] == 'tcp://farm-c:1234' and nodes[0]['platforms'] == ['linux/arm64']
    # the host's empty list wins over the client's default: no platforms
    assert 'platforms' not in client_nodes(['farm-c'], {'farm-c': {'farm_platforms': []}}, 1234, ['linux/arm64'], **TLS)[0]


def test_a_host_missing_from_hostvars():
    assert client_nodes(['farm-d'], {}, 1234, None, **TLS)[0]['endpoint'] == 'tcp://farm-d:1234'


def test_no_hosts():
    assert client_nodes([], {}, 1234, [], **TLS) == []
    assert client_nodes(None, {}, 1234, [], **TLS) == []


@pytest.mark.parametrize('address, port, expected', [
    ('10.0.0.1', 1234, 'tcp://10.0.0.1:1234'),
    ('::1', '1235', 'tcp://[::1]:1235'),
    ('[::1]', 1236, 'tcp://[::1]:1236'),
    ('farm.example', 1237, 'tcp://farm.example:1237'),
])
def test_endpoint(address, port, expected):
    assert endpoint(address, port) == expected


@pytest.mark.parametrize('host, name', [('farm-a', 'farm-a'), ('farm.a@x y', 'farm_a_x_y'), ('f_1', 'f_1')])
def test_node_name(host, name):
    assert node_name(host) == name

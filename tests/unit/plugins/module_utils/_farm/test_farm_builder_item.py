# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.builder_item import builder_item, gc_settings

SERVE = {'port': '1234', 'address': '0.0.0.0', 'names': ['farm-a']}
GC = {'max_used_space': '20GB', 'reserved_space': '', 'min_free_space': '', 'keep_duration': ''}


def test_gc_leaves_out_empty_strings_only():
    assert gc_settings(GC) == {'max_used_space': '20GB'}
    assert gc_settings({'max_used_space': 0, 'reserved_space': None, 'keep_duration': ''}) == {'max_used_space': 0, 'reserved_space': None}
    assert gc_settings(None) == {}


def test_item_with_gc_and_platforms():
    item = builder_item({'pull': True}, 'farm', SERVE, GC, ['linux/arm64'])
    assert item == {'pull': True, 'name': 'farm', 'serve': SERVE, 'gc': {'max_used_space': '20GB'}, 'platforms': ['linux/arm64']}
    assert list(item) == ['pull', 'name', 'serve', 'gc', 'platforms']


def test_no_gc_no_platforms_leave_the_keys_out():
    item = builder_item({}, 'farm', SERVE, dict((k, '') for k in GC), [])
    assert item == {'name': 'farm', 'serve': SERVE}
    assert builder_item(None, 'farm', SERVE) == {'name': 'farm', 'serve': SERVE}


def test_the_role_wins_and_the_options_are_not_changed():
    options = {'name': 'other', 'driver_opts': {'memory': '1g'}}
    item = builder_item(options, 'farm', SERVE, GC)
    assert item['name'] == 'farm' and item['driver_opts'] == {'memory': '1g'}
    assert options == {'name': 'other', 'driver_opts': {'memory': '1g'}}

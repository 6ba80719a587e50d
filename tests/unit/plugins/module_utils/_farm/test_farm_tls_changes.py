# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._farm.changes import tls_changes

SAME_CERTS = {'changed': False, 'results': [{'changed': False, 'item': 1}, {'changed': False, 'item': 2}]}
SAME_KEY = {'changed': False}


def test_nothing_changes():
    assert tls_changes(SAME_CERTS, SAME_KEY) is False
    assert tls_changes(SAME_CERTS, SAME_KEY, False, 'False') is False


@pytest.mark.parametrize('issued', [(True,), (False, True), ('True',), ('yes',)])
def test_a_certificate_issued_on_the_controller(issued):
    assert tls_changes(SAME_CERTS, SAME_KEY, *issued) is True


def test_a_copy_that_changes():
    assert tls_changes({'changed': True, 'results': [{'changed': True}, {'changed': False}]}, SAME_KEY) is True
    assert tls_changes(SAME_CERTS, {'changed': True}) is True


def test_a_looped_result_without_the_flag_asks_its_items():
    assert tls_changes({'results': [{'changed': False}, {'changed': True}]}, SAME_KEY) is True
    assert tls_changes({'results': [{'changed': False}]}, SAME_KEY) is False


def test_a_copy_that_could_not_run():
    assert tls_changes(SAME_CERTS, {'changed': False, 'skipped': True}) is True
    one_skipped = {'changed': False, 'results': [{'changed': False}, {'changed': False, 'skipped': True}]}
    assert tls_changes(one_skipped, SAME_KEY) is True
    # the item says skipped at all (even false): as selectattr('skipped', 'defined') read it
    assert tls_changes({'changed': False, 'results': [{'changed': False, 'skipped': False}]}, SAME_KEY) is True


def test_missing_results_are_no_change():
    assert tls_changes({}, {}) is False
    assert tls_changes({'changed': False, 'results': None}, SAME_KEY) is False

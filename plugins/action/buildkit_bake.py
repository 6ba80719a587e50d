# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the buildkit_bake module as ansible.builtin.normal does, packaged faster (plugin_utils/module_action.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.plugin_utils.module_action import ModuleAction


class ActionModule(ModuleAction):
    pass

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Accept buildx spellings (memory-swap) of driver_opts keys, then run the module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.driver_opts import snake_case_driver_opts, SpecError


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            if isinstance(args.get('driver_opts'), dict):
                args['driver_opts'] = snake_case_driver_opts(args['driver_opts'])
            if isinstance(args.get('nodes'), list):
                args['nodes'] = [dict(n, driver_opts=snake_case_driver_opts(n['driver_opts']))
                                 if isinstance(n, dict) and isinstance(n.get('driver_opts'), dict) else n
                                 for n in args['nodes']]
        except SpecError as exc:
            raise AnsibleActionFail(str(exc))
        result.update(self._execute_module(module_name=self._task.resolved_action or 'buildkit.fleet.buildkit_builder',
                                           module_args=args, task_vars=task_vars))
        return result

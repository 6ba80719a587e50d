# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes of the collection's modules (buildkit.fleet._attributes).

    Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
    """

    # Every module: check mode, diff mode and idempotence; each module sets its own support and details.
    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: With C(--check) the task changes nothing and reports whether it would change something.
  diff_mode:
    description: With C(--diff) the task shows what it changed (in check mode, what it would change).
  idempotent:
    description:
      - A second run with the same options, right after the first and outside check mode, reports no change
        (as long as nothing else changed the builder meanwhile).
'''

    # Modules of the action group buildkit.fleet.buildkit (module_defaults: group/buildkit.fleet.buildkit).
    ACTIONGROUP_BUILDKIT = r'''
attributes:
  action_group:
    description: Use C(group/buildkit.fleet.buildkit) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - buildkit.fleet.buildkit
'''

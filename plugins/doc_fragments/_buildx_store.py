# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The buildx store option of every module (buildkit.fleet._buildx_store) and the lock of the modules that
    converge builders (buildkit.fleet._buildx_store.lock).

    The argument specs are BUILDX_STORE_ARGS and LOCK_ARGS in plugins/module_utils/_common/module_args.py.

    Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
    """

    DOCUMENTATION = r'''
options:
  buildx_config:
    description:
      - The buildx store directory on the target, the one C(docker buildx) reads builders from.
      - Defaults to E(BUILDX_CONFIG), else C(buildx) in E(DOCKER_CONFIG), else C(~/.docker/buildx) of the remote user.
    type: path
'''

    # Modules that converge builders and serialize runs of the same builder (LOCK_ARGS).
    LOCK = r'''
options:
  lock_timeout:
    description:
      - Seconds to wait while another run converges the same builder (same name in the same store, or the same
        node on the same daemon). Runs of one builder are serialized; on timeout the task fails and changes nothing.
    type: int
    default: 600
'''

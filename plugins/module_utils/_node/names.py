# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names of a docker-container node, as buildx gives them: container, state volume, paths inside (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DRIVER = 'docker-container'
CONTAINER_PREFIX = 'buildx_buildkit_'
VOLUME_SUFFIX = '_state'
STATE_DIR = '/var/lib/buildkit'
CONFIG_PATH = '/etc/buildkit/buildkitd.toml'
CONFIG_FILE = 'buildkitd.toml'


def container_name(node_name):
    return CONTAINER_PREFIX + node_name


def volume_name(node_name):
    return CONTAINER_PREFIX + node_name + VOLUME_SUFFIX

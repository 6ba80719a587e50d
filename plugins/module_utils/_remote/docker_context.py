# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The key buildx files the current builder under: the Docker context name, or the host of the default context.

buildx (util/dockerutil/context.go GetCurrentEndpoint) uses the current context's name unless it is C(default);
for the default context it uses the Docker host (E(DOCKER_HOST), else the local socket).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

DEFAULT_HOST = 'unix:///var/run/docker.sock'


def _config_context(environ):
    config_dir = environ.get('DOCKER_CONFIG') or os.path.join(os.path.expanduser('~'), '.docker')
    try:
        with open(os.path.join(config_dir, 'config.json'), 'rb') as handle:
            return json.loads(handle.read().decode('utf-8')).get('currentContext')
    except (IOError, OSError, ValueError, AttributeError):
        return None


def current_key(environ=None):
    environ = os.environ if environ is None else environ
    if environ.get('DOCKER_HOST'):  # the CLI's context is then 'default' (docker/cli resolveContextName)
        return environ['DOCKER_HOST']
    name = environ.get('DOCKER_CONTEXT') or _config_context(environ)
    if name and name != 'default':
        return name
    return DEFAULT_HOST

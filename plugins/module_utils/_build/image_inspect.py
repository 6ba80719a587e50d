# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`docker image inspect` of the images a build loads, for the freshness check of `load` outputs.

On a local daemon (a unix:// socket without TLS, the common case) one HTTP/1.0 request on the socket (local_docker.request) answers,
without loading the Docker SDK for Python (requests, urllib3) or even http.client (ssl, email): on a rebuild
those imports were most of the module's own start-up. Any other endpoint (tcp://, ssh://, TLS) goes through the
SDK's client as every other module does.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
from urllib.parse import quote

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import TaskFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._common.local_docker import LocalUnavailable, request

# the default of docker_client.docker_host, which the SDK-free path must not import
LOCAL_SOCKET = 'unix:///var/run/docker.sock'


def local_socket(params):
    """The socket path when the daemon is reached over a local unix socket without TLS, else None."""
    host = params.get('docker_host') or LOCAL_SOCKET
    if not host.startswith('unix://') or params.get('tls') or params.get('validate_certs'):
        return None
    return host[len('unix://'):]


class ImageInspector(object):
    """inspect(name) -> the image's inspect dict, or None when Docker has no such image; TaskFailed otherwise."""

    def __init__(self, params):
        self.params = params
        self.path = local_socket(params)
        self._client = self._sdk = None

    def inspect(self, name):
        if self.path:
            return self._over_socket(name)
        return self._over_sdk(name)

    def _over_socket(self, name):
        version = self.params.get('api_version')
        prefix = '/v%s' % version if version and version != 'auto' else ''
        url = '%s/images/%s/json' % (prefix, quote(name, safe='/:'))
        try:
            status, _headers, body = request(self.path, 'GET', url, self.params.get('timeout') or 60)
        except (LocalUnavailable, OSError, ValueError) as exc:
            raise TaskFailed('Cannot reach the Docker daemon at unix://%s: %s' % (self.path, exc))
        if status == 404:
            return None
        try:
            data = json.loads(body.decode('utf-8', 'replace'))
        except ValueError:
            data = None
        if status != 200 or not isinstance(data, dict):
            message = data.get('message') if isinstance(data, dict) else body[:200]
            raise TaskFailed('cannot inspect image %s: %s %s' % (name, status, message))
        return data

    def _over_sdk(self, name):
        if self._client is None:
            # imported here: only endpoints other than a local socket load the Docker SDK
            from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
            problem = dc.sdk_problem()
            if problem:
                raise TaskFailed(problem)
            try:
                self._client = dc.connect(self.params)
            except dc.DockerConnectionError as exc:
                raise TaskFailed(str(exc))
            self._sdk = dc
        try:
            return self._client.inspect_image(name)
        except self._sdk.NotFound:
            return None
        except self._sdk.DockerException as exc:
            raise TaskFailed('cannot inspect image %s: %s' % (name, exc))

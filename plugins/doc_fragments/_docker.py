# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Docker daemon connection options shared by every module (buildkit.fleet._docker).

    The argument spec is DOCKER_COMMON_ARGS in plugins/module_utils/_common/module_args.py.

    Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
    """

    DOCUMENTATION = r'''
options:
  docker_host:
    description:
      - URL or Unix socket path of the Docker daemon API the builder lives on.
      - The same string is stored as the node V(Endpoint) in the buildx store, as buildx does for the default context.
      - If not set, the value of the E(DOCKER_HOST) environment variable is used, else V(unix:///var/run/docker.sock).
    type: str
    aliases: [docker_url]
  tls:
    description:
      - Connect using TLS without verifying the daemon certificate.
      - If not set, the value of the E(DOCKER_TLS) environment variable is used.
    type: bool
    default: false
  validate_certs:
    description:
      - Connect using TLS and verify the daemon certificate against O(ca_path).
      - If not set, the value of the E(DOCKER_TLS_VERIFY) environment variable is used.
    type: bool
    default: false
    aliases: [tls_verify]
  ca_path:
    description:
      - CA certificate used to verify the daemon certificate.
      - If not set and E(DOCKER_CERT_PATH) is set, C(ca.pem) in that directory is used.
    type: path
    aliases: [ca_cert, tls_ca_cert, cacert_path]
  client_cert:
    description:
      - Client certificate presented to the daemon.
      - If not set and E(DOCKER_CERT_PATH) is set, C(cert.pem) in that directory is used.
    type: path
    aliases: [tls_client_cert, cert_path]
  client_key:
    description:
      - Key of O(client_cert).
      - If not set and E(DOCKER_CERT_PATH) is set, C(key.pem) in that directory is used.
    type: path
    aliases: [tls_client_key, key_path]
  api_version:
    description:
      - Docker API version to speak. V(auto) negotiates with the daemon.
      - The daemon must offer API 1.41 (Docker Engine 20.10) or newer.
      - If not set, the value of the E(DOCKER_API_VERSION) environment variable is used.
    type: str
    default: auto
    aliases: [docker_api_version]
  timeout:
    description:
      - Timeout in seconds of each Docker API request.
      - If not set, the value of the E(DOCKER_TIMEOUT) environment variable is used.
    type: int
    default: 60
requirements:
  - Docker SDK for Python >= 7.0.0 (L(docker,https://pypi.org/project/docker/)) on the target.
notes:
  - Connection options can be set once for all modules of this collection with
    C(module_defaults) and the action group C(group/buildkit.fleet.buildkit).
'''

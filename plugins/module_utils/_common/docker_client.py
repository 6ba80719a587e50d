# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Docker client: connection options, connection, clear failures.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import DOCKER_COMMON_ARGS

DOCKER_IMPORT_ERROR = None
# A connection dropped under a request (an ssh:// or tcp:// endpoint), not an answer of the daemon.
BROKEN_CONNECTION = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
try:
    import docker
    import docker.constants
    from docker.errors import APIError, DockerException, NotFound, ImageNotFound  # noqa: F401 pylint: disable=unused-import
    from requests.exceptions import ConnectionError as _RequestsConnectionError
    BROKEN_CONNECTION += (_RequestsConnectionError,)
except ImportError:
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):
        pass

    class APIError(DockerException):
        pass

    class NotFound(APIError):
        pass

    class ImageNotFound(NotFound):
        pass

MIN_SDK_VERSION = (7, 0, 0)
MIN_API_VERSION = (1, 41)
MIN_API_VERSION_TEXT = '1.41'
DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'

# Defined once in module_args; kept here for the callers that read the option names from the client.
DOCKER_CONNECTION_ARGS = DOCKER_COMMON_ARGS


class DockerConnectionError(Exception):
    """The daemon cannot be used; the message says why and which host was tried."""


def _version_tuple(text):
    parts = []
    for part in str(text).split('.'):
        digits = ''.join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def docker_host(params):
    return params.get('docker_host') or DEFAULT_DOCKER_HOST


def _tls_files(params):
    cert_dir = os.environ.get('DOCKER_CERT_PATH')

    def pick(option, filename):
        if params.get(option):
            return params[option]
        if cert_dir and os.path.exists(os.path.join(cert_dir, filename)):
            return os.path.join(cert_dir, filename)
        return None
    return pick('ca_path', 'ca.pem'), pick('client_cert', 'cert.pem'), pick('client_key', 'key.pem')


def _tls_config(params):
    if not (params.get('tls') or params.get('validate_certs')):
        return False
    ca_path, cert, key = _tls_files(params)
    if bool(cert) != bool(key):
        raise DockerConnectionError('client_cert and client_key must be given together (got only %s)'
                                    % ('client_cert' if cert else 'client_key'))
    verify = bool(params.get('validate_certs'))
    if verify and not ca_path:
        raise DockerConnectionError('validate_certs needs ca_path (or DOCKER_CERT_PATH with ca.pem)')
    return docker.tls.TLSConfig(client_cert=(cert, key) if cert else None,
                                ca_cert=ca_path if verify else None, verify=verify)


TLS_OPTIONS = ('tls', 'validate_certs', 'ca_path', 'client_cert', 'client_key')


def _docker_config_dir():
    return os.environ.get('DOCKER_CONFIG') or os.path.join(os.path.expanduser('~'), '.docker')


def context_params(name, params):
    """Connection params for a docker context name (its host and TLS files), like the docker CLI."""
    if name == 'default':
        return dict(params, docker_host=os.environ.get('DOCKER_HOST') or DEFAULT_DOCKER_HOST)
    digest = hashlib.sha256(name.encode('utf-8')).hexdigest()
    meta_path = os.path.join(_docker_config_dir(), 'contexts', 'meta', digest, 'meta.json')
    try:
        with open(meta_path) as handle:
            endpoint = json.load(handle)['Endpoints']['docker']
    except (IOError, OSError, ValueError, KeyError):
        raise DockerConnectionError("docker context '%s' not found (no %s)" % (name, meta_path))
    tls_dir = os.path.join(_docker_config_dir(), 'contexts', 'tls', digest, 'docker')
    files = dict((opt, os.path.join(tls_dir, fname)) for opt, fname in
                 (('ca_path', 'ca.pem'), ('client_cert', 'cert.pem'), ('client_key', 'key.pem'))
                 if os.path.exists(os.path.join(tls_dir, fname)))
    result = dict(params, docker_host=endpoint['Host'], **files)
    if files:
        result['tls'] = True
        result['validate_certs'] = not endpoint.get('SkipTLSVerify') and 'ca_path' in files
    return result


def endpoint_params(endpoint, params, overrides=None):
    """Connection params for a node endpoint: a URL (unix://, tcp://, ssh://) or a docker context name."""
    base = dict(params)
    for key, value in (overrides or {}).items():
        if value is not None:
            base[key] = value
    if '://' in endpoint:
        return dict(base, docker_host=endpoint)
    return context_params(endpoint, base)


def _negotiate(client):
    """The API version to speak: the daemon's (from the cheap /_ping headers), capped at the SDK's."""
    response = client._get(client.base_url + '/_ping')
    response.raise_for_status()
    server = response.headers.get('Api-Version') or MIN_API_VERSION_TEXT
    sdk_max = docker.constants.DEFAULT_DOCKER_API_VERSION
    return server if _version_tuple(server) < _version_tuple(sdk_max) else sdk_max


def connect(params):
    """Return a connected docker.APIClient, or raise DockerConnectionError."""
    host = docker_host(params)
    wanted = params.get('api_version') or 'auto'
    try:
        client = docker.APIClient(base_url=host, version=MIN_API_VERSION_TEXT if wanted == 'auto' else wanted,
                                  timeout=params.get('timeout') or 60, tls=_tls_config(params),
                                  use_ssh_client=host.startswith('ssh://'))
        server = _negotiate(client)
    except DockerException as exc:
        raise DockerConnectionError('Cannot reach the Docker daemon at %s: %s' % (host, exc))
    except Exception as exc:  # requests/urllib3 connection errors
        raise DockerConnectionError('Cannot reach the Docker daemon at %s: %s' % (host, exc))
    if _version_tuple(server)[:2] < MIN_API_VERSION:
        raise DockerConnectionError('Docker daemon at %s speaks API %s; API %s (Docker Engine 20.10) or newer is needed'
                                    % (host, server, MIN_API_VERSION_TEXT))
    if wanted == 'auto':
        client._version = server
    client.buildkit_fleet_host = host  # the endpoint it reaches (a local unix:// socket allows a log signal)
    return client


def sdk_problem():
    """Why this interpreter cannot use the Docker SDK for Python (None when it can)."""
    if DOCKER_IMPORT_ERROR:
        return missing_required_lib('docker (Docker SDK for Python >= 7.0.0)')
    if _version_tuple(docker.__version__) < MIN_SDK_VERSION:
        return 'Docker SDK for Python %s is too old on the target; >= 7.0.0 is needed' % docker.__version__
    return None


def check_sdk(module):
    problem = sdk_problem()
    if problem and DOCKER_IMPORT_ERROR:
        module.fail_json(msg=problem, exception=DOCKER_IMPORT_ERROR)
    if problem:
        module.fail_json(msg=problem)


def connect_or_fail(module):
    """Connect for an AnsibleModule, failing the module with a clear message."""
    check_sdk(module)
    try:
        return connect(module.params)
    except DockerConnectionError as exc:
        module.fail_json(msg=str(exc))

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
import re
import sys
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import DOCKER_COMMON_ARGS

# The Docker SDK for Python (and requests under it) is imported on first use, not with this module: a converge
# on a local socket may never need it (local_docker). These names are made then; `from docker_client import
# APIError` (and the module's attributes) import it at once, as before; an `except dc.APIError:` clause imports
# it only when an exception is raised.
_SDK_NAMES = ('docker', 'APIError', 'DockerException', 'NotFound', 'ImageNotFound', 'BROKEN_CONNECTION',
              'DOCKER_IMPORT_ERROR')
# A connection dropped under a request (an ssh:// or tcp:// endpoint), not an answer of the daemon.
_BROKEN_BASE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def _load_sdk():
    """Import the SDK once and publish its names (or stand-ins and DOCKER_IMPORT_ERROR when it is missing);
    returns them (the module's namespace)."""
    found = globals()
    if 'DOCKER_IMPORT_ERROR' in found:
        return found
    names = {'DOCKER_IMPORT_ERROR': None, 'BROKEN_CONNECTION': _BROKEN_BASE}
    try:
        import docker
        import docker.constants
        import docker.tls
        from docker.errors import APIError, DockerException, NotFound, ImageNotFound
        from requests.exceptions import ConnectionError as _RequestsConnectionError
        names.update(docker=docker, APIError=APIError, DockerException=DockerException, NotFound=NotFound,
                     ImageNotFound=ImageNotFound, BROKEN_CONNECTION=_BROKEN_BASE + (_RequestsConnectionError,))
    except ImportError:
        names['DOCKER_IMPORT_ERROR'] = traceback.format_exc()

        class DockerException(Exception):  # pylint: disable=redefined-outer-name
            pass

        class APIError(DockerException):  # pylint: disable=redefined-outer-name
            pass

        class NotFound(APIError):  # pylint: disable=redefined-outer-name
            pass

        class ImageNotFound(NotFound):  # pylint: disable=redefined-outer-name
            pass
        names.update(docker=None, APIError=APIError, DockerException=DockerException, NotFound=NotFound,
                     ImageNotFound=ImageNotFound)
    for key in _SDK_NAMES:  # DOCKER_IMPORT_ERROR last: it marks the names as made
        found.setdefault(key, names[key])
    return found


def __getattr__(name):
    """The SDK's names, imported on first use (PEP 562)."""
    if name in _SDK_NAMES:
        _load_sdk()
        return globals()[name]
    raise AttributeError('module %r has no attribute %r' % (__name__, name))


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
    tls = _load_sdk()['docker'].tls
    return tls.TLSConfig(client_cert=(cert, key) if cert else None, ca_cert=ca_path if verify else None,
                         verify=verify)


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
    sdk_max = _load_sdk()['docker'].constants.DEFAULT_DOCKER_API_VERSION
    return server if _version_tuple(server) < _version_tuple(sdk_max) else sdk_max


def _local_client(params, host, wanted):
    """A LocalClient for a local unix:// socket without TLS (None for any other endpoint, or when the socket does
    not answer a ping: the SDK then connects and says why)."""
    if not host.startswith('unix://') or params.get('tls') or params.get('validate_certs'):
        return None
    from ansible_collections.buildkit.fleet.plugins.module_utils._common import local_docker
    path, timeout = host[len('unix://'):], params.get('timeout') or 60
    try:
        server = local_docker.ping(path, timeout)
    except (local_docker.LocalUnavailable, OSError):
        return None
    if _version_tuple(server)[:2] < MIN_API_VERSION:
        raise DockerConnectionError('Docker daemon at %s speaks API %s; API %s (Docker Engine 20.10) or newer is needed'
                                    % (host, server, MIN_API_VERSION_TEXT))
    if wanted == 'auto':
        top = local_docker.MAX_API_VERSION
        wanted = server if _version_tuple(server) < _version_tuple(top) else top
    return local_docker.LocalClient(path, wanted, timeout, host, lambda: _sdk_connect(params, host, wanted))


def connect(params, local_first=False):
    """Return a connected docker.APIClient, or raise DockerConnectionError.

    With `local_first`, a local unix:// socket without TLS gets a local_docker.LocalClient instead: it asks the
    converge's hot requests without loading the SDK and hands everything else to an SDK client it makes then."""
    host = docker_host(params)
    wanted = params.get('api_version') or 'auto'
    if local_first:
        client = _local_client(params, host, wanted)
        if client is not None:
            return client
    return _sdk_connect(params, host, wanted)


def _sdk_connect(params, host, wanted):
    sdk = _load_sdk()
    try:
        client = sdk['docker'].APIClient(base_url=host, version=MIN_API_VERSION_TEXT if wanted == 'auto' else wanted,
                                         timeout=params.get('timeout') or 60, tls=_tls_config(params),
                                         use_ssh_client=host.startswith('ssh://'))
        if isinstance(client.verify, str):
            client.trust_env = False  # else requests takes REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE instead of this CA
        server = _negotiate(client)
    except sdk['DockerException'] as exc:
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


def local_socket_path(client):
    """The socket path of a client connected to a local unix:// socket (connect records the host), else None."""
    host = getattr(client, 'buildkit_fleet_host', None) or ''
    if not host.startswith('unix://'):
        return None
    return host[len('unix://'):] or None


_VERSION_RE = re.compile(r"""^__version__\s*=\s*(?:version\s*=\s*)?['"]([^'"]+)['"]""", re.M)


def _sdk_version_unimported():
    """The installed SDK's version read from its _version.py without importing it; '' when it is not installed,
    None when that cannot be told so (then the SDK is imported)."""
    import importlib.util
    try:
        spec = importlib.util.find_spec('docker')
    except (ImportError, ValueError):
        return None
    if spec is None:
        return ''
    if not spec.origin:
        return None
    try:
        with open(os.path.join(os.path.dirname(spec.origin), '_version.py')) as handle:
            match = _VERSION_RE.search(handle.read())
    except (IOError, OSError):
        return None
    return match.group(1) if match else None


def sdk_problem():
    """Why this interpreter cannot use the Docker SDK for Python (None when it can); the SDK is not imported
    when its installed version can be read without."""
    version = None
    if 'DOCKER_IMPORT_ERROR' not in globals() and 'docker' not in sys.modules:
        version = _sdk_version_unimported()
    if not version:
        sdk = _load_sdk()
        if sdk['DOCKER_IMPORT_ERROR']:
            return missing_required_lib('docker (Docker SDK for Python >= 7.0.0)')
        version = sdk['docker'].__version__
    if _version_tuple(version) < MIN_SDK_VERSION:
        return 'Docker SDK for Python %s is too old on the target; >= 7.0.0 is needed' % version
    return None


def check_sdk(module):
    problem = sdk_problem()
    error = _load_sdk()['DOCKER_IMPORT_ERROR'] if problem else None
    if problem and error:
        module.fail_json(msg=problem, exception=error)
    if problem:
        module.fail_json(msg=problem)


def connect_or_fail(module):
    """Connect for an AnsibleModule, failing the module with a clear message."""
    check_sdk(module)
    try:
        return connect(module.params)
    except DockerConnectionError as exc:
        module.fail_json(msg=str(exc))

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Docker client for the daemon's local unix:// socket that answers the converge's hot requests without the SDK.

A converge of a builder asks a handful of things (ping, info, inspects, the container's create, config copy and
start, an image pull, exec of `buildctl debug workers`): loading the Docker SDK for Python (requests, urllib3,
http.client, ssl) for them cost more than asking them. On a local socket without TLS, LocalClient asks them in
plain HTTP/1.0 (one connection each; the daemon closes when done) and only takes the answers it knows to be
successes. Everything else -- any error answer, any other call (stop, remove, load, tag, logs) -- goes to a real
SDK client made on first use, with the same parameters, which asks again: errors are the SDK's own
(docker.errors), with its messages, whichever path met them (a failed pull's text is made as the SDK makes it).
tcp:// (TLS) and ssh:// endpoints never get a LocalClient (docker_client.connect gives them the SDK client).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import socket
from urllib.parse import quote, urlencode

# The API version the SDK (7.x) speaks at most; a newer daemon is asked in this version, as the SDK would.
MAX_API_VERSION = '1.45'
_INSPECT_PATHS = {'containers': '/containers/%s/json', 'images': '/images/%s/json',
                  'volumes': '/volumes/%s', 'networks': '/networks/%s'}


class LocalUnavailable(Exception):
    """The socket could not be asked (not connected, not an HTTP answer): the SDK is to be used instead."""


def _dechunk(body):
    out = []
    while body:
        size_line, _sep, rest = body.partition(b'\r\n')
        size = int(size_line.split(b';')[0].strip() or b'0', 16)
        if size == 0:
            break
        out.append(rest[:size])
        body = rest[size + 2:]
    return b''.join(out)


def request(path, method, url, timeout, body=None, content_type='application/json'):
    """(status, headers, body bytes) of one HTTP/1.0 request on the unix socket at `path`.

    LocalUnavailable when nothing was sent (no socket); an OSError while reading an answer is raised as such
    (a connection dropped under a request, which the caller treats like the SDK's broken connection)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(path)
        except OSError as exc:
            raise LocalUnavailable(str(exc))
        head = '%s %s HTTP/1.0\r\nHost: docker\r\n' % (method, url)
        data = b''
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode('utf-8')
            head += 'Content-Type: %s\r\n' % content_type
        head += 'Content-Length: %d\r\n\r\n' % len(data)
        sock.sendall(head.encode('ascii') + data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                # the daemon closed with some of the body unread (a tar's end padding): its answer came first
                if b'\r\n\r\n' not in b''.join(chunks):
                    raise
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        sock.close()
    raw_head, _sep, answer = b''.join(chunks).partition(b'\r\n\r\n')
    lines = raw_head.split(b'\r\n')
    try:
        status = int(lines[0].split(b' ', 2)[1])
    except (IndexError, ValueError):
        raise LocalUnavailable('not an HTTP answer: %r' % lines[0][:80])
    headers = dict((k.strip().lower().decode('latin-1'), v.strip().decode('latin-1'))
                   for k, _s, v in (line.partition(b':') for line in lines[1:]))
    headers[':reason'] = (lines[0].split(b' ', 2)[2:] or [b''])[0].decode('latin-1').strip()
    if headers.get('transfer-encoding', '').lower() == 'chunked':
        answer = _dechunk(answer)
    return status, headers, answer


def credentials_configured(environ=None):
    """Whether the SDK would find registry credentials (a docker config with auths, a credential store or
    helpers, or a legacy ~/.dockercfg): a pull then goes through the SDK, which sends them."""
    environ = os.environ if environ is None else environ
    home = os.path.expanduser('~')
    paths = ([os.path.join(environ['DOCKER_CONFIG'], 'config.json')] if environ.get('DOCKER_CONFIG') else []) + [
        os.path.join(home, '.docker', 'config.json'), os.path.join(home, '.dockercfg')]
    for path in paths:
        if not os.path.exists(path):
            continue
        try:
            with open(path) as handle:
                data = json.load(handle)
        except (IOError, OSError, ValueError):
            return True  # unreadable: the SDK decides
        if not isinstance(data, dict) or data.get('auths') or data.get('credsStore') or data.get('credHelpers'):
            return True
        if path.endswith('.dockercfg') and data:
            return True
    return False


def repository_tag(name):
    """(repository, tag or digest) of an image reference, as the SDK's pull splits it (tag 'latest' by default)."""
    if '@' in name:
        repository, digest = name.rsplit('@', 1)
        return repository, digest
    repository, sep, tag = name.rpartition(':')
    if sep and '/' not in tag:
        return repository, tag
    return name, 'latest'


def demux(stream):
    """(stdout, stderr) bytes of a multiplexed (non-TTY) attach stream."""
    out, err = [], []
    while len(stream) >= 8:
        kind, size = stream[0], int.from_bytes(stream[4:8], 'big')
        payload, stream = stream[8:8 + size], stream[8 + size:]
        (err if kind == 2 else out).append(payload)
    return b''.join(out), b''.join(err)


def ping(path, timeout):
    """The daemon's API version (the /_ping answer's Api-Version header), or LocalUnavailable."""
    status, headers, _body = request(path, 'GET', '/_ping', timeout)
    if status != 200 or not headers.get('api-version'):
        raise LocalUnavailable('/_ping answered %s' % status)
    return headers['api-version']


class LocalClient(object):
    """The converge's hot requests over a local socket; any other call or error answer goes to the SDK client
    `sdk_connect()` makes on first use. Attributes of the SDK client (base_url, methods) are reached through it."""

    base_url = 'http+docker://localhost'  # the SDK's, for callers that key on it

    def __init__(self, path, version, timeout, host, sdk_connect):
        self.path, self._version, self.timeout = path, version, timeout
        self.buildkit_fleet_host = host
        self._sdk_connect, self._sdk_client = sdk_connect, None

    @property
    def api_version(self):
        return self._version

    def sdk(self):
        """The SDK client (made, and the SDK imported, on first use)."""
        if self._sdk_client is None:
            self._sdk_client = self._sdk_connect()
        return self._sdk_client

    def __getattr__(self, name):
        if name.startswith('_') or name.startswith('buildkit_fleet_'):
            raise AttributeError(name)
        return getattr(self.sdk(), name)

    def _ask(self, method, url, body=None, query=None, content_type='application/json'):
        """(status, body) of a request in the client's API version; None when the socket cannot be asked."""
        full = '/v%s%s' % (self._version, url)
        if query:
            full += '?' + urlencode(query)
        try:
            status, _headers, answer = request(self.path, method, full, self.timeout, body, content_type)
        except LocalUnavailable:
            return None, None
        return status, answer

    def _json(self, method, url, body=None, ok=(200,)):
        status, answer = self._ask(method, url, body)
        if status in ok:
            try:
                return True, json.loads(answer.decode('utf-8')) if answer else None
            except ValueError:
                pass
        return False, status

    # -- asked here -------------------------------------------------------------------------------
    def inspect_or_none(self, kind, name):
        """The inspect answer of a container, image, volume or network, or None when the daemon has none;
        another answer is asked again through the SDK (which raises its error)."""
        fine, value = self._json('GET', _INSPECT_PATHS[kind] % quote(name, safe='/:' if kind == 'images' else ''))
        if fine:
            return value
        if value == 404:
            return None
        return getattr(self.sdk(), {'containers': 'inspect_container', 'images': 'inspect_image',
                                    'volumes': 'inspect_volume', 'networks': 'inspect_network'}[kind])(name)

    def info(self):
        fine, value = self._json('GET', '/info')
        return value if fine else self.sdk().info()

    def inspect_container(self, name):
        fine, value = self._json('GET', _INSPECT_PATHS['containers'] % quote(name, safe=''))
        return value if fine else self.sdk().inspect_container(name)

    def start(self, container):
        status, _answer = self._ask('POST', '/containers/%s/start' % quote(container, safe=''))
        if status not in (204, 304):
            self.sdk().start(container)

    def pull_without_sdk(self, ref):
        """Pull an image without credentials, as the SDK does when it finds none: None when pulled, else the
        failure as the SDK's error would say it; NotImplemented when credentials are configured (the SDK pulls)."""
        if credentials_configured():
            return NotImplemented
        repository, tag = repository_tag(ref)
        url = '/v%s/images/create?%s' % (self._version, urlencode({'tag': tag, 'fromImage': repository}))
        try:
            status, headers, answer = request(self.path, 'POST', url, None)
        except LocalUnavailable:
            return NotImplemented
        if status != 200:
            try:
                explanation = json.loads(answer.decode('utf-8')).get('message')
            except (ValueError, AttributeError):
                explanation = answer.decode('utf-8', 'replace').strip()
            text = '%d %s Error for %s%s: %s' % (status, 'Client' if status < 500 else 'Server', self.base_url, url,
                                                 headers.get(':reason', ''))
            return '%s ("%s")' % (text, explanation) if explanation else text
        for line in answer.decode('utf-8', 'replace').splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get('error'):
                return event['error']
        return None

    def create_container_from_config(self, config, name=None):
        query = {'name': name} if name else None
        status, answer = self._ask('POST', '/containers/create', config, query)
        if status == 201:
            try:
                return json.loads(answer.decode('utf-8'))
            except ValueError:
                pass
        return self.sdk().create_container_from_config(config, name)

    def put_archive(self, container, path, data):
        """Copy a tar into the container (idempotent: asked again through the SDK on any failure)."""
        try:
            status, _answer = self._ask('PUT', '/containers/%s/archive' % quote(container, safe=''), data,
                                        {'path': path}, 'application/x-tar')
        except OSError:
            status = None
        return True if status == 200 else self.sdk().put_archive(container, path, data)

    def get_archive(self, container, path):
        """(chunks, stat) of a path in the container, as the SDK answers it; errors asked again through the SDK."""
        url = '/v%s/containers/%s/archive?%s' % (self._version, quote(container, safe=''), urlencode({'path': path}))
        try:
            status, headers, answer = request(self.path, 'GET', url, self.timeout)
        except LocalUnavailable:
            status = None
        if status != 200:
            return self.sdk().get_archive(container, path)
        stat = None
        if headers.get('x-docker-container-path-stat'):
            import base64
            try:
                stat = json.loads(base64.b64decode(headers['x-docker-container-path-stat']).decode('utf-8'))
            except ValueError:
                stat = None
        return [answer], stat

    def exec_create(self, container, cmd, stdout=True, stderr=True):
        body = {'AttachStdin': False, 'AttachStdout': stdout, 'AttachStderr': stderr, 'Tty': False,
                'Privileged': False, 'User': '', 'Cmd': list(cmd)}
        fine, value = self._json('POST', '/containers/%s/exec' % quote(container, safe=''), body, ok=(201,))
        if fine and isinstance(value, dict) and value.get('Id'):
            return value
        return self.sdk().exec_create(container, cmd, stdout=stdout, stderr=stderr)

    def exec_start(self, exec_id, demux=False):
        status, answer = self._ask('POST', '/exec/%s/start' % exec_id, {'Detach': False, 'Tty': False})
        if status != 200:
            return self.sdk().exec_start(exec_id, demux=demux)
        out, err = _demux(answer)
        return (out or None, err or None) if demux else out + err

    def exec_inspect(self, exec_id):
        fine, value = self._json('GET', '/exec/%s/json' % exec_id)
        return value if fine else self.sdk().exec_inspect(exec_id)


_demux = demux

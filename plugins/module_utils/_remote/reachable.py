# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Does a tcp:// endpoint answer, over mutual TLS with the node's files the way buildx connects? (A unix:// one: a connect.)

A TCP connection, then (with TLS options) a TLS handshake offering ALPN h2 with the node's CA, client certificate
and server name (the endpoint's host when none is given, as buildx does), then a short read: a server that refuses
the client certificate (TLS 1.3 tells the client after the handshake) closes or alerts here; a gRPC server sends
its HTTP/2 settings.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import ssl

from ansible.module_utils.six.moves.urllib.parse import urlparse

from ansible_collections.buildkit.fleet.plugins.module_utils._remote.tls_files import hex_serial, utc_text


def _probe_unix(result, path, timeout):
    result['checked'] = True
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        result['ok'] = True
    except (socket.error, OSError) as exc:
        result.update(ok=False, error='connection to the socket %s failed: %s' % (path, exc))
    finally:
        sock.close()
    return result


def probe(node, timeout):
    """{'endpoint', 'checked', 'ok', 'error', 'tls'} for a node of the desired spec."""
    endpoint = node['endpoint']
    url = urlparse(endpoint)
    result = {'node': node['name'], 'endpoint': endpoint, 'checked': False, 'ok': None, 'error': None, 'tls': None}
    if url.scheme == 'unix':
        return _probe_unix(result, url.path, timeout)
    if url.scheme != 'tcp':
        return result
    result['checked'] = True
    files = node['tls_files']
    opts = node['driver_opts']
    try:
        sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
    except (socket.error, OSError) as exc:
        result.update(ok=False, error='connection to %s:%s failed: %s' % (url.hostname, url.port, exc))
        return result
    try:
        if not files and not opts.get('servername'):
            result['ok'] = True
            return result
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=files['ca_cert']['source'])
        if 'cert' in files:
            context.load_cert_chain(files['cert']['source'], files['key']['source'])
        context.set_alpn_protocols(['h2'])
        server_name = opts.get('servername') or url.hostname
        try:
            tls = context.wrap_socket(sock, server_hostname=server_name)
        except (ssl.SSLError, ssl.CertificateError, socket.error, OSError) as exc:
            result.update(ok=False, error='TLS handshake with %s:%s (server name %s) failed: %s'
                          % (url.hostname, url.port, server_name, exc))
            return result
        sock = tls
        peer = tls.getpeercert() or {}
        result['tls'] = {'version': tls.version(), 'server_name': server_name,
                         'server_not_after': utc_text(peer['notAfter']) if peer.get('notAfter') else None,
                         'server_serial': hex_serial(peer.get('serialNumber'))}
        tls.settimeout(min(timeout, 3))
        try:
            data = tls.recv(1)
        except socket.timeout:
            data = None  # nothing said, nothing refused
        except (ssl.SSLError, socket.error, OSError) as exc:
            result.update(ok=False, error='%s:%s refused the client certificate after the TLS handshake: %s'
                          % (url.hostname, url.port, exc))
            return result
        if data == b'':
            result.update(ok=False, error='%s:%s closed the connection after the TLS handshake (client certificate '
                          'refused?)' % (url.hostname, url.port))
            return result
        result['ok'] = True
        return result
    finally:
        try:
            sock.close()
        except (socket.error, OSError):
            pass

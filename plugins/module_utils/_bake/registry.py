# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Anonymous reads of pushed images over the registry API: the index, each platform's manifest and config.

A fast path for the freshness check of pushed targets: one kept-alive connection per registry instead of one
`buildx imagetools inspect` per tag. Only answers it is sure of count: 200 (the image) and 404 (no such tag).
Anything else (authentication required, TLS trouble, an unknown media type) raises Unknown, and the caller
asks `buildx imagetools inspect`, which knows the user's credentials and registry settings. Registries on a
loopback address are read over plain HTTP (as Docker allows for them), others over HTTPS only.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json

from ansible_collections.buildkit.fleet.plugins.module_utils._build.results import platform_digests
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform

INDEX_TYPES = ('application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, '
               'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json')
_LOOPBACK = ('127.', 'localhost', '[::1]')


class Unknown(Exception):
    pass


def split_ref(ref):
    """(registry host, repository, tag or digest) of an image reference, as Docker normalizes it."""
    name, digest = (ref.split('@', 1) + [None])[:2]
    tag = None
    if ':' in name.rsplit('/', 1)[-1]:
        name, tag = name.rsplit(':', 1)
    first, _sep, rest = name.partition('/')
    if rest and ('.' in first or ':' in first or first == 'localhost'):
        host, repo = first, rest
    else:
        host, repo = 'docker.io', name if '/' in name else 'library/' + name
    return host, repo, digest or tag or 'latest'


class RegistryReader(object):

    def __init__(self, timeout=10):
        self.timeout = timeout
        self.connections = {}

    def _connection(self, host):
        if host not in self.connections:
            import http.client  # imported here: only pushed targets are read
            if host.startswith(_LOOPBACK):
                self.connections[host] = http.client.HTTPConnection(host, timeout=self.timeout)
            else:
                self.connections[host] = http.client.HTTPSConnection(host, timeout=self.timeout)
        return self.connections[host]

    def _get(self, host, path, accept):
        if host == 'docker.io':
            raise Unknown('Docker Hub needs a token')
        conn = self._connection(host)
        try:
            conn.request('GET', path, headers={'Accept': accept})
            response = conn.getresponse()
            body = response.read()
        except Exception as exc:  # any transport trouble: let imagetools answer
            conn.close()
            self.connections.pop(host, None)
            raise Unknown(str(exc))
        if response.status == 404:
            return None, None
        if response.status != 200:
            raise Unknown('HTTP %s' % response.status)
        return body, response.getheader('Docker-Content-Digest')

    def image(self, ref):
        """None when the tag is not there, else {digest, platform_digests, configs: {platform: config}}."""
        host, repo, reference = split_ref(ref)
        body, digest = self._get(host, '/v2/%s/manifests/%s' % (repo, reference), INDEX_TYPES)
        if body is None:
            return None
        try:
            top = json.loads(body.decode('utf-8'))
        except ValueError as exc:
            raise Unknown(str(exc))
        digest = digest or 'sha256:' + hashlib.sha256(body).hexdigest()
        if top.get('manifests') is not None:
            platforms = platform_digests(top)
        else:
            platforms = {None: digest}
        configs, named = {}, {}
        for plat, manifest_digest in sorted(platforms.items(), key=lambda item: str(item[0])):
            if plat is None:
                manifest = top
            else:
                raw, _digest = self._get(host, '/v2/%s/manifests/%s' % (repo, manifest_digest), INDEX_TYPES)
                if raw is None:
                    raise Unknown('manifest %s is gone' % manifest_digest)
                manifest = json.loads(raw.decode('utf-8'))
            config_digest = (manifest.get('config') or {}).get('digest')
            if not config_digest:
                raise Unknown('no config in %s' % manifest_digest)
            raw, _digest = self._get(host, '/v2/%s/blobs/%s' % (repo, config_digest), '*/*')
            if raw is None:
                raise Unknown('config %s is gone' % config_digest)
            config = json.loads(raw.decode('utf-8'))
            key = plat or format_platform(dict({'os': 'linux'}, **dict((k, config.get(k)) for k in ('os', 'architecture', 'variant')
                                                                         if config.get(k))))
            configs[key] = config
            named[key] = manifest_digest
        return {'digest': digest, 'platform_digests': named, 'configs': configs}

    def close(self):
        for conn in self.connections.values():
            conn.close()
        self.connections = {}

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Anonymous reads of pushed images over the registry API: the index, each platform's manifest and config.

A fast path for the freshness check of pushed targets: one kept-alive connection per registry instead of one
`buildx imagetools inspect` per tag. Only answers it is sure of count: 200 (the image) and 404 (no such tag).
Anything else (authentication required, TLS trouble, an unknown media type) raises Unknown, and the caller
asks `buildx imagetools inspect`, which knows the user's credentials and registry settings. What was read of an
index is kept by its digest (ManifestCache), so that an unchanged tag costs one request the next time. Registries on a
loopback address are read over plain HTTP (as Docker allows for them), others over HTTPS only.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json

from ansible_collections.buildkit.fleet.plugins.module_utils._build.results import platform_digests
from ansible_collections.buildkit.fleet.plugins.module_utils._common.cache_dir import read_json, write_json
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


def _labels(config):
    return (config.get('config') or {}).get('Labels') or {}


class ManifestCache(object):
    """What was read of an image index or manifest, by its digest (content addressed, so never stale): the
    platform digests and each platform's labels. A later check of the same tag then needs one request."""

    MAX_ENTRIES = 512

    def __init__(self, path, writable=True):
        self.path, self.writable = path, writable
        self.added = False
        known = read_json(path)
        self.known = known if isinstance(known, dict) else {}

    def get(self, digest):
        return self.known.get(digest)

    def put(self, digest, value):
        self.known[digest] = value
        self.added = True

    def save(self):
        """Keep the newest entries; a cache that cannot be written is simply not kept."""
        if not (self.writable and self.added):
            return
        write_json(self.path, dict(list(self.known.items())[-self.MAX_ENTRIES:]))


class RegistryReader(object):

    def __init__(self, timeout=10, cache=None):
        self.timeout, self.cache = timeout, cache
        self.connections = {}  # host: kept-alive connection

    def _connection(self, host):
        conn = self.connections.get(host)
        if conn is None:
            import http.client  # imported here: only pushed targets are read
            if host.startswith(_LOOPBACK):
                conn = http.client.HTTPConnection(host, timeout=self.timeout)
            else:
                conn = http.client.HTTPSConnection(host, timeout=self.timeout)
            self.connections[host] = conn
        return conn

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

    @staticmethod
    def _json(raw):
        try:
            value = json.loads(raw.decode('utf-8'))
        except ValueError as exc:
            raise Unknown(str(exc))
        if not isinstance(value, dict):
            raise Unknown('not a JSON object')
        return value

    def image(self, ref):
        """None when the tag is not there, else {digest, platform_digests, configs: {platform: config}}."""
        host, repo, reference = split_ref(ref)
        body, digest = self._get(host, '/v2/%s/manifests/%s' % (repo, reference), INDEX_TYPES)
        if body is None:
            return None
        top = self._json(body)
        digest = digest or 'sha256:' + hashlib.sha256(body).hexdigest()
        if self.cache is not None and self.cache.get(digest):
            return self.cache.get(digest)  # content addressed: the same digest has the same configs
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
                manifest = self._json(raw)
            config_digest = (manifest.get('config') or {}).get('digest')
            if not config_digest:
                raise Unknown('no config in %s' % manifest_digest)
            raw, _digest = self._get(host, '/v2/%s/blobs/%s' % (repo, config_digest), '*/*')
            if raw is None:
                raise Unknown('config %s is gone' % config_digest)
            config = self._json(raw)
            key = plat or format_platform(dict({'os': 'linux'}, **dict(
                (k, config.get(k)) for k in ('os', 'architecture', 'variant') if config.get(k))))
            configs[key] = config
            named[key] = manifest_digest
        found = {'digest': digest, 'platform_digests': named,
                 'configs': dict((k, {'config': {'Labels': _labels(v)}}) for k, v in configs.items())}
        if self.cache is not None:
            self.cache.put(digest, found)
        return found

    def close(self):
        for conn in self.connections.values():
            conn.close()
        self.connections = {}

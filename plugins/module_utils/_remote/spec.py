# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The store entry of a remote-driver builder, from the module options (pure).

The entry is the one C(docker buildx create --driver remote --driver-opt cacert=...,cert=...,key=...,servername=...
ENDPOINT) and C(--append --node N --platform P ENDPOINT) write with buildx v0.36.1: driver C(remote), one node per
endpoint, the platforms a node serves, the TLS file paths and the server name as driver options, no flags and no
files (buildx refuses both for the remote driver). buildx keeps paths, it copies no TLS file; this module copies the
files into the store (under C(remote-tls/<builder>/<node>/)) unless told to reference them where they are.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible.module_utils.six.moves.urllib.parse import urlparse

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform, normalize_platform

DRIVER = 'remote'
# buildx's driver/remote/util/endpoint.go
SCHEMES = ('docker-container', 'kube-pod', 'npipe', 'ssh', 'tcp', 'unix')
# buildx's store/util.go namePattern
NAME_RE = re.compile(r'^[a-zA-Z][a-zA-Z0-9\.\-_]*$')
# (module option, buildx driver option, file name in the store)
TLS_FILES = (('ca_cert', 'cacert', 'ca.pem'), ('cert', 'cert', 'cert.pem'), ('key', 'key', 'key.pem'))
TLS_DIR = 'remote-tls'


def check_name(option, value):
    if not value or not NAME_RE.match(value):
        raise SpecError("%s: invalid name '%s': a name starts with a letter and may contain only letters, digits "
                        "and . - _ (as in docker buildx create --name)" % (option, value))
    return value


def check_endpoint(option, value):
    """The endpoint as buildx stores it; an error naming the option for a URL buildx's remote driver refuses."""
    text = (value or '').strip()
    try:
        url = urlparse(text)
        port = url.port if url.scheme == 'tcp' else None
    except ValueError as exc:
        raise SpecError("%s: '%s' is not a valid URL: %s" % (option, value, exc))
    if url.scheme not in SCHEMES:
        raise SpecError("%s: '%s' has no scheme the remote driver knows; use tcp://HOST:PORT (or %s)"
                        % (option, value, ', '.join(s + '://' for s in SCHEMES if s != 'tcp')))
    if url.scheme == 'tcp' and (not url.hostname or not port or url.path not in ('', '/')):
        raise SpecError("%s: '%s' is not a TCP endpoint of the form tcp://HOST:PORT" % (option, value))
    return text


def tls_dir(root, builder, node=None):
    """Where the module keeps a builder's (or one node's) TLS files in the store."""
    parts = [root, TLS_DIR, builder.lower()] + ([node] if node else [])
    return os.path.join(*parts)


def _node_names(builder, nodes):
    """Each node's name: the given one, or buildx's default <builder><i> (first free index), lower case."""
    given = [(n.get('name') or '') for n in nodes]
    for index, name in enumerate(given):
        if name:
            check_name('nodes[%d].name' % index, name)
    taken = set(name.lower() for name in given if name)
    names, counter = [], 0
    for name in given:
        if not name:
            while ('%s%d' % (builder, counter)).lower() in taken:
                counter += 1
            name = '%s%d' % (builder, counter)
            taken.add(name.lower())
        names.append(name.lower())
    seen = {}
    for index, name in enumerate(names):
        if name in seen:
            raise SpecError("nodes[%d].name: '%s' is already the name of nodes[%d]; node names must be unique"
                            % (index, name, seen[name]))
        seen[name] = index
    return names


def _platforms(option, values):
    result = []
    for value in values or []:
        try:
            plat = normalize_platform(value)
        except SpecError:
            raise SpecError("%s: invalid platform '%s': use os/arch[/variant] like linux/arm64" % (option, value))
        if plat not in result:
            result.append(plat)
    return result


def _tls(option, node, builder_root):
    """{tls option: {'source': path, 'target': path}} and the driver options of a node's TLS."""
    given = dict((opt, node.get(opt)) for opt, _do, _fn in TLS_FILES if node.get(opt))
    if not given and not node.get('servername'):
        return {}, {}
    if 'ca_cert' not in given:
        raise SpecError('%s.ca_cert: required with TLS (%s given): the CA that signed the server certificate'
                        % (option, ', '.join(sorted(set(given) | set(['servername'] if node.get('servername') else [])))))
    if ('cert' in given) != ('key' in given):
        missing, present = ('key', 'cert') if 'cert' in given else ('cert', 'key')
        raise SpecError('%s.%s: required with %s (a client certificate needs its key and the other way round)'
                        % (option, missing, present))
    files, opts = {}, {}
    for opt, driver_opt, file_name in TLS_FILES:
        if opt not in given:
            continue
        source = given[opt]
        if not os.path.isabs(source):
            raise SpecError("%s.%s: '%s' is not an absolute path" % (option, opt, source))
        target = os.path.join(builder_root, file_name) if builder_root else source
        files[opt] = {'source': source, 'target': target}
        opts[driver_opt] = target
    if node.get('servername'):
        opts['servername'] = node['servername']
    return files, opts


def desired(params, root):
    """The builder entry (the shape BuildxStore.write takes, plus each node's TLS files) for the options.

    `root` is the absolute store directory; with copy_tls_files the driver options name the copies in it."""
    name = check_name('name', params['name'])
    if name.lower() == 'default':
        raise SpecError("name: 'default' is reserved by buildx for the context's builder")
    nodes = params.get('nodes') or []
    if not nodes:
        raise SpecError('nodes: at least one node (an endpoint) is required with state=present')
    names = _node_names(name, nodes)
    result, endpoints, platform_owner = [], {}, {}
    for index, (node, node_name) in enumerate(zip(nodes, names)):
        option = 'nodes[%d]' % index
        endpoint = check_endpoint(option + '.endpoint', node.get('endpoint'))
        if endpoint in endpoints:
            raise SpecError("%s.endpoint: '%s' is already the endpoint of nodes[%d]; endpoints must be unique"
                            % (option, endpoint, endpoints[endpoint]))
        endpoints[endpoint] = index
        platforms = _platforms(option + '.platforms', node.get('platforms'))
        for plat in platforms:
            text = format_platform(plat)
            if text in platform_owner:
                raise SpecError("%s.platforms: '%s' is already served by nodes[%d]; buildx sends a platform to one "
                                "node only, so each platform may be declared by one node" % (option, text, platform_owner[text]))
            platform_owner[text] = index
        builder_root = tls_dir(root, name, node_name) if params.get('copy_tls_files', True) else None
        files, opts = _tls(option, node, builder_root)
        if params.get('default_load'):
            opts['default-load'] = 'true'
        result.append({'name': node_name, 'endpoint': endpoint, 'platforms': platforms, 'driver_opts': opts,
                       'flags': [], 'config': None, 'tls_files': files, 'index': index})
    return {'name': name, 'driver': DRIVER, 'nodes': result}

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Docker operations that make a builder node: network, image, container creation and its config file.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import json
import os
import tarfile
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
# The node's container operations live in _node.container; re-exported for the builder's modules that use them.
from ansible_collections.buildkit.fleet.plugins.module_utils._node.container import (  # noqa: F401 pylint: disable=unused-import
    BuilderError, VolumeDataGone, container_status, exec_run, first_line, inspect_container, inspect_or_none,
    remove_container,
    remove_volume, remove_volume_if_unused, replace_lost_volume, start_container, volume_data_gone, volume_exists,
    wait_ready)
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import CONFIG_FILE, CONFIG_PATH, STATE_DIR

BUILTIN_NETWORKS = ('host', 'bridge', 'none', 'default')


class ContainerConflict(BuilderError):
    """Creating a container failed because one of that name exists: someone else created it meanwhile."""


def daemon_facts(client, info=None):
    info = info or client.info()
    return {'cgroup_driver': info.get('CgroupDriver'),
            'userns': any('name=userns' in opt for opt in info.get('SecurityOptions') or []),
            'server_version': info.get('ServerVersion')}


def inspect_image(client, ref):
    return inspect_or_none(client, 'images', ref, 'inspect_image')


def check_network(client, network):
    """(id, created) of a user network the builder joins ((None, None) for built-in modes); fails when missing."""
    if not network or network in BUILTIN_NETWORKS or network.startswith('container:'):
        return None, None
    found = inspect_or_none(client, 'networks', network, 'inspect_network')
    if found is None:
        raise BuilderError("driver_opts.network: network '%s' does not exist on the daemon; create it first "
                           "(for example with the buildkit.fleet.network role)" % network)
    return found['Id'], found.get('Created')


def _pull(client, ref):
    quick = getattr(client, 'pull_without_sdk', None)
    failure = quick(ref) if quick is not None else NotImplemented
    if failure is not NotImplemented:
        if failure:
            raise BuilderError(failure)
        return
    for event in client.pull(ref, stream=True, decode=True):
        if isinstance(event, dict) and event.get('error'):
            raise dc.APIError(event['error'])


_first_line = first_line


def archive_image_id(archive, ref):
    """The image id that `docker save` recorded for `ref` in a tarball (from manifest.json)."""
    try:
        with tarfile.open(archive) as tar:
            manifest = json.load(tar.extractfile('manifest.json'))
    except (IOError, OSError, KeyError, ValueError, tarfile.TarError) as exc:
        raise BuilderError("image_archive: '%s' is not a docker save tarball: %s" % (archive, exc))
    names = set([ref, 'docker.io/' + ref, 'docker.io/library/' + ref])
    tags = []
    for entry in manifest:
        tags.extend(entry.get('RepoTags') or [])
        if names.intersection(entry.get('RepoTags') or []):
            return 'sha256:' + os.path.basename(entry['Config']).replace('.json', '').replace('sha256:', '')
    raise BuilderError("image_archive: '%s' does not hold image '%s' (it holds: %s)"
                       % (archive, ref, ', '.join(tags) or 'no tagged image'))


def load_archive(client, archive, ref):
    """docker load the tarball, then check the reference now names the id the archive recorded."""
    expected = archive_image_id(archive, ref)
    with open(archive, 'rb') as handle:
        for _event in client.load_image(handle):
            pass
    image = inspect_image(client, ref)
    if image is None or image['Id'] != expected:
        raise BuilderError("image_archive: after loading '%s', image '%s' is %s, not the archive's %s"
                           % (archive, ref, (image or {}).get('Id', 'missing'), expected))
    return image


def ensure_image(client, ref, pull, mirrors=None, archive=None):
    """Get the image like buildx (pull, fall back to local), then from mirrors, then from an archive.

    Returns (image inspect, note)."""
    notes = []
    if pull:
        try:
            _pull(client, ref)
            return inspect_image(client, ref), 'pulled %s' % ref
        except Exception as exc:  # any pull failure falls back, as buildx does
            notes.append('pull of %s failed (%s)' % (ref, _first_line(exc)))
    image = inspect_image(client, ref)
    if image is not None:
        return image, '; '.join(notes + ['using local image %s' % ref]) if notes else None
    repo, sep, tag = ref.rpartition(':')
    if not sep or '/' in tag:
        repo, tag = ref, 'latest'
    for mirror in mirrors or []:
        mirrored = '%s/%s' % (mirror.rstrip('/'), ref)
        try:
            _pull(client, mirrored)
            client.tag(mirrored, repo, tag)
            return inspect_image(client, ref), 'pulled %s from mirror %s' % (ref, mirror)
        except Exception as exc:
            notes.append('pull of %s failed (%s)' % (mirrored, _first_line(exc)))
    if archive:
        return load_archive(client, archive, ref), 'loaded %s from %s' % (ref, archive)
    raise BuilderError("driver_opts.image: image '%s' could not be pulled and does not exist locally (%s)"
                       % (ref, '; '.join(notes) or 'pull disabled'))


def _config_tar(config_text, files=None):
    """A tarball for /etc: buildkit/buildkitd.toml and extra (path under /etc, bytes, mode) files, owned by root."""
    buf = io.BytesIO()
    folders = set()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        entries = ([('buildkit/' + CONFIG_FILE, config_text.encode('utf-8'), 0o644)] if config_text is not None else [])
        for path, data, mode in entries + list(files or []):
            parts = path.split('/')[:-1]
            for depth in range(1, len(parts) + 1):
                folder_path = '/'.join(parts[:depth])
                if folder_path in folders:
                    continue
                folders.add(folder_path)
                folder = tarfile.TarInfo(folder_path)
                folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
                tar.addfile(folder)
            entry = tarfile.TarInfo(path)
            entry.size, entry.mode, entry.uid, entry.gid = len(data), mode, 0, 0
            entry.mtime = int(time.time())
            tar.addfile(entry, io.BytesIO(data))
    return buf.getvalue()


# cspec field -> HostConfig key, sent when set (as the SDK's create_host_config does)
_HOST_FIELDS = (('memory', 'Memory'), ('memory_swap', 'MemorySwap'), ('cpu_quota', 'CpuQuota'),
                ('cpu_period', 'CpuPeriod'), ('cpu_shares', 'CpuShares'), ('cpuset_cpus', 'CpusetCpus'),
                ('cpuset_mems', 'CpusetMems'), ('cgroup_parent', 'CgroupParent'), ('userns_mode', 'UsernsMode'))


def container_body(cspec):
    """The create request of a node's container, as buildx makes it: the body the SDK's create_container and
    create_host_config make for these arguments (a unit test holds them equal), without the SDK."""
    host = {'Privileged': True, 'Init': True, 'RestartPolicy': cspec['restart_policy'],
            'NetworkMode': cspec.get('network_mode') or 'default',
            'Mounts': [{'Target': STATE_DIR, 'Source': cspec['volume'], 'Type': 'volume', 'ReadOnly': False}]}
    for field, key in _HOST_FIELDS:
        if cspec.get(field):
            host[key] = cspec[field]
    if cspec.get('memory') and cspec.get('memory_swap') == 2 * cspec['memory']:
        host.pop('MemorySwap', None)  # the daemon default; buildx does not send it
    exposed = None
    if cspec.get('ports'):
        host['PortBindings'] = dict((port, [dict(b) for b in binds]) for port, binds in cspec['ports'].items())
        exposed = dict((port, {}) for port in cspec['ports'])
    return {'Hostname': None, 'Domainname': None, 'ExposedPorts': exposed, 'User': None, 'Tty': False,
            'OpenStdin': False, 'StdinOnce': False, 'AttachStdin': False, 'AttachStdout': True, 'AttachStderr': True,
            'Env': ['%s=%s' % item for item in sorted(cspec['env'].items())] or None, 'Cmd': list(cspec['cmd']),
            'Image': cspec['image'], 'Volumes': None, 'NetworkDisabled': False, 'Entrypoint': None,
            'WorkingDir': None, 'HostConfig': host, 'NetworkingConfig': None, 'MacAddress': None, 'Labels': None,
            'StopSignal': None, 'Healthcheck': None, 'StopTimeout': None, 'Runtime': None}


def create_container(client, cspec, config_text, files=None):
    """Create the container exactly as buildx does and copy the config (and the listener's TLS `files`) in,
    before its first start; return its id."""
    try:
        created = client.create_container_from_config(container_body(cspec), cspec['name'])
    except dc.APIError as exc:
        if exc.status_code == 409:
            raise ContainerConflict('creating container %s failed: another run or tool created it meanwhile: %s'
                                    % (cspec['name'], exc.explanation or exc))
        raise BuilderError('creating container %s failed: %s' % (cspec['name'], exc.explanation or exc))
    try:
        client.put_archive(created['Id'], '/etc', _config_tar(config_text, files))
    except dc.APIError as exc:
        remove_container(client, created['Id'])
        raise BuilderError('creating container %s failed: %s' % (cspec['name'], exc.explanation or exc))
    return created['Id']


def read_config(client, container):
    """Text of /etc/buildkit/buildkitd.toml in the container, or None."""
    try:
        stream, _stat = client.get_archive(container, CONFIG_PATH)
    except dc.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b''.join(stream))) as tar:
        member = tar.extractfile(tar.getmembers()[0])
        return member.read().decode('utf-8') if member else None


def read_file(client, container, path):
    """Bytes of one file in the container (running or not), or None when it is not there."""
    try:
        stream, _stat = client.get_archive(container, path)
    except dc.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b''.join(stream))) as tar:
        member = tar.extractfile(tar.getmembers()[0])
        return member.read() if member else None


def put_files(client, container, files):
    """Put (path under /etc, bytes, mode) files into the container (it may be stopped)."""
    try:
        client.put_archive(container, '/etc', _config_tar(None, files))
    except dc.APIError as exc:
        raise BuilderError('placing the TLS files of serve into container %s failed: %s'
                           % (container, exc.explanation or exc))

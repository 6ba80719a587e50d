# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One node's container on its Docker endpoint: inspect, exec, readiness, start (the one way), removal.

What buildx keeps in builder/node.go and the docker-container driver's start: used by the builder's converge,
its facts and the cache alike, so it lives below _builder and _cache.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import local_socket_path
from ansible_collections.buildkit.fleet.plugins.module_utils._node.liveness import WorkersMemo
from ansible_collections.buildkit.fleet.plugins.module_utils._node.ready_signal import watch_started
from ansible_collections.buildkit.fleet.plugins.module_utils._node.workers import WORKERS_ARGV, parse_workers


class BuilderError(Exception):
    """A Docker-side failure; the message names what failed."""


def inspect_or_none(client, kind, name, sdk_method):
    """The inspect answer of a container, image, volume or network (`kind` as local_docker names them), or None
    when the daemon has none: a LocalClient tells without the SDK, an SDK client by raising NotFound."""
    fast = getattr(client, 'inspect_or_none', None)
    if fast is not None:
        return fast(kind, name)
    try:
        return getattr(client, sdk_method)(name)
    except dc.NotFound:
        return None


def inspect_container(client, name):
    return inspect_or_none(client, 'containers', name, 'inspect_container')


def container_status(inspect):
    """buildx's status words for a docker-container node: inactive, running or stopped."""
    if not inspect:
        return 'inactive'
    return 'running' if (inspect.get('State') or {}).get('Running') else 'stopped'


def volume_exists(client, name):
    return inspect_or_none(client, 'volumes', name, 'inspect_volume') is not None


def first_line(exc):
    return (str(exc).strip().splitlines() or [''])[0][:200]


def volume_data_gone(exc):
    """The daemon cannot mount a volume whose data directory was deleted."""
    return 'error evaluating symlinks from mount source' in str(getattr(exc, 'explanation', None) or exc)


def exec_run(client, container, cmd):
    exec_id = client.exec_create(container, cmd, stdout=True, stderr=True)['Id']
    out, err = client.exec_start(exec_id, demux=True)
    code = client.exec_inspect(exec_id).get('ExitCode')
    return code, (out or b'').decode('utf-8', 'replace'), (err or b'').decode('utf-8', 'replace')


_ERROR_WORDS = ('error', 'incorrect usage', 'fatal', 'panic', 'not defined', 'failed')


def log_tail(client, container, lines=15):
    """The container log's error lines (even above a usage text) and its last lines."""
    try:
        text = client.logs(container, tail=300).decode('utf-8', 'replace')
    except dc.APIError as exc:
        return '(no logs: %s)' % exc
    all_lines = [line for line in text.splitlines() if line.strip()]
    tail = all_lines[-lines:]
    errors = [line for line in all_lines[:-lines] if any(w in line.lower() for w in _ERROR_WORDS)]
    return '\n'.join(errors[-5:] + (['...'] if errors else []) + tail)


# With the log followed, the first `buildctl debug workers` waits this long for buildkitd's line at most (a log
# without it, such as an unusual log configuration, then falls back to polling).
SIGNAL_PATIENCE = 5.0


def _ask_workers(client, container):
    """(workers or None, why not) of one `buildctl debug workers` in the container."""
    try:
        code, out, err = exec_run(client, container, [WORKERS_ARGV[0], '--timeout', '5'] + list(WORKERS_ARGV[1:]))
    except dc.APIError as exc:
        return None, str(exc.explanation or exc)
    if code == 0:
        return parse_workers(out), ''
    return None, 'exit code %s: %s' % (code, (err or out).strip()[-500:])


def wait_ready(client, container, timeout, just_started=False, inspect=None, fresh=False, same_make=False, own=False):
    """Wait until buildkitd answers `buildctl debug workers`, like buildx's boot; return the workers (parsed by
    _node.workers). A container this run `just_started` on a local daemon is asked when its log says buildkitd
    serves (ready_signal), not at buildx's polling intervals; otherwise, and when no such line comes, it is
    polled at those intervals (0.12 s, 0.24 s, ... at most 1 s). An answer without workers is asked again until
    the timeout, then returned. A running node on a local daemon whose buildkitd serves is answered from what it
    reported since it started (_node.liveness), without asking, unless `fresh`; `inspect` is its current inspect,
    if known. `same_make`: a container just started may be answered with what a container of the same make
    reported (version, platforms, GC policy; not the worker id) once its buildkitd serves; `own`: only what this
    container reported itself will do."""
    deadline = time.monotonic() + timeout
    memo = WorkersMemo()
    if local_socket_path(client) is not None:
        inspect = inspect if inspect is not None and not just_started else inspect_container(client, container)
        known = None if just_started or fresh else memo.recall(client, inspect, own)
        if known:
            return known
    watch = watch_started(client, container, inspect or inspect_container(client, container)) if just_started else None
    try:
        if watch is not None:
            watch.wait(min(deadline, time.monotonic() + SIGNAL_PATIENCE))
            known = memo.recall_made(client, inspect) if same_make and watch.seen else None
            if known:
                return known
        attempt, answered = 1, None
        while True:
            workers, detail = _ask_workers(client, container)
            if workers:
                memo.remember(client, inspect, workers)
                return workers
            if workers is not None:  # buildkitd answers before its worker is registered: ask again
                answered, detail = workers, 'no worker registered yet'
            if time.monotonic() >= deadline:
                if answered is not None:
                    return answered
                raise BuilderError('buildkitd in %s did not answer within %ss (%s); container log tail:\n%s'
                                   % (container, timeout, detail, log_tail(client, container)))
            pause = min(attempt * 0.12, 1.0, max(0.0, deadline - time.monotonic()))
            if watch is not None and not (watch.seen or watch.ended):
                watch.wait(time.monotonic() + pause)
            else:
                time.sleep(pause)
            attempt += 1
    finally:
        if watch is not None:
            watch.close()


def remove_container(client, name, timeout=60):
    """Remove a container (by name or id); when another client is already removing it, wait until it is gone."""
    try:
        client.remove_container(name, force=True)
    except dc.NotFound:
        pass
    except dc.APIError as exc:
        if 'already in progress' not in str(exc.explanation or exc):
            raise
        deadline = time.monotonic() + timeout
        while inspect_container(client, name) is not None:
            if time.monotonic() >= deadline:
                raise BuilderError('container %s: another removal did not finish within %ss' % (name, timeout))
            time.sleep(0.2)


def remove_volume(client, name):
    try:
        client.remove_volume(name)
        return True
    except dc.NotFound:
        return False


def remove_volume_if_unused(client, name):
    """Remove a volume unless a container (someone else's) uses it."""
    try:
        return remove_volume(client, name)
    except dc.APIError as exc:
        if exc.status_code == 409:
            return False
        raise


class VolumeDataGone(BuilderError):
    """The daemon cannot mount a node's state volume: its data directory was deleted on the daemon host."""

    def __init__(self, volume, cause):
        self.volume, self.cause = volume, first_line(cause)
        super(VolumeDataGone, self).__init__(
            'the state volume %s lost its data directory on the daemon host (%s); run buildkit.fleet.buildkit_builder '
            'for this builder to re-create the volume and the container (the build cache is gone)'
            % (volume, self.cause))


def _direct(_action, func, *args):
    return func(*args)


def replace_lost_volume(client, container, volume, recreate, cause, act=None):
    """Remove the container and its state volume whose data is gone, then `recreate()` the container with a new
    volume; `act(action, func, *args)` runs (and may record) each step. Returns the note for the result."""
    act = act or _direct
    act('remove container %s' % container, remove_container, client, container)
    act('remove volume %s' % volume, remove_volume, client, volume)
    act('create container %s' % container, recreate)
    return ('the state volume %s had lost its data (%s): re-created the volume and the container; the build cache '
            'is gone' % (volume, first_line(cause)))


def start_container(client, container, volume, recreate=None, act=None):
    """Start a node's container: the one way, for the converge and for the bootstrap of facts and prune.

    When the daemon cannot mount the state volume because its data directory was deleted and `recreate` is given
    (a callable creating the container again), the container and volume are re-created (see
    `replace_lost_volume`) and started; returns that note, else None. Without `recreate` that case raises
    VolumeDataGone naming the volume; other failures raise the APIError."""
    try:
        client.start(container)
        return None
    except dc.APIError as exc:
        if not volume_data_gone(exc):
            raise
        if recreate is None:
            raise VolumeDataGone(volume, exc)
        note = replace_lost_volume(client, container, volume, recreate, exc, act)
    client.start(container)
    return note

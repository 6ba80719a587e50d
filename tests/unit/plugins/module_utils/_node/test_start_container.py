"""start_container, the one way to start a node: plain start, lost volume data with and without a re-create
(a fake client: unit test only; the real daemon case is tests/integration/test_robust_lost_volume.py)."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._node import container as ops
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import APIError

GONE = ('error evaluating symlinks from mount source "/var/lib/docker/volumes/v/_data": lstat '
        '/var/lib/docker/volumes/v/_data: no such file or directory')


class Daemon(object):
    def __init__(self, start_errors):
        self.start_errors, self.calls = list(start_errors), []

    def start(self, name):
        self.calls.append(('start', name))
        if self.start_errors:
            raise APIError(self.start_errors.pop(0))

    def remove_container(self, name, force):
        self.calls.append(('remove_container', name))

    def remove_volume(self, name):
        self.calls.append(('remove_volume', name))


def test_plain_start():
    daemon = Daemon([])
    assert ops.start_container(daemon, 'c', 'v') is None
    assert daemon.calls == [('start', 'c')]


def test_lost_volume_data_is_recreated_when_the_caller_can():
    daemon, recorded = Daemon([GONE]), []

    def act(action, func, *args):
        recorded.append(action)
        return func(*args)

    note = ops.start_container(daemon, 'c', 'v', recreate=lambda: daemon.calls.append(('create', 'c')), act=act)
    assert daemon.calls == [('start', 'c'), ('remove_container', 'c'), ('remove_volume', 'v'), ('create', 'c'),
                            ('start', 'c')]
    assert recorded == ['remove container c', 'remove volume v', 'create container c']
    assert 'v had lost its data' in note and 'cache is gone' in note


def test_lost_volume_data_without_recreate_names_the_volume_and_the_repair():
    daemon = Daemon([GONE])
    with pytest.raises(ops.VolumeDataGone) as err:
        ops.start_container(daemon, 'c', 'v')
    assert 'state volume v' in str(err.value) and 'buildkit_builder' in str(err.value)
    assert daemon.calls == [('start', 'c')]


def test_other_start_errors_are_raised():
    with pytest.raises(APIError):
        ops.start_container(Daemon(['no such image']), 'c', 'v', recreate=lambda: None)

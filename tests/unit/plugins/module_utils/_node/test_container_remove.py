"""remove_container when another client is already removing the container (a fake client: unit test only)."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._node import container as ops
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import APIError, NotFound


class RemovingElsewhere(object):
    """Says 'already in progress', then the container is gone after a few looks."""

    def __init__(self, looks_until_gone):
        self.looks = looks_until_gone

    def remove_container(self, name, force):
        raise APIError('409', explanation='removal of container %s is already in progress' % name)

    def inspect_container(self, name):
        self.looks -= 1
        if self.looks <= 0:
            raise NotFound('gone')
        return {'Id': name}


def test_waits_for_the_other_removal():
    client = RemovingElsewhere(3)
    ops.remove_container(client, 'c')
    assert client.looks == 0


def test_gives_up_after_the_timeout():
    with pytest.raises(ops.BuilderError) as caught:
        ops.remove_container(RemovingElsewhere(10 ** 6), 'c', timeout=0.3)
    assert 'another removal did not finish within 0.3s' in str(caught.value)

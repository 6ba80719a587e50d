"""A run that loses the race to a concurrent `docker buildx create` of the same builder adopts that builder when
it matches. The race is made certain with real parts: a TCP proxy in front of the real daemon holds the module's
`POST /containers/create` of the node until a real `docker buildx create --bootstrap` (straight to the daemon's
socket) has created and started the same container; the module's create then meets the daemon's 409 conflict."""
import threading

import pytest

from robust_support import DaemonProxy
from support import TEST_IMAGE, buildx, container


class RacingProxy(DaemonProxy):
    """Before it forwards the first request holding every marker, runs `before()` (the competitor) to its end."""

    def __init__(self, markers, before):
        self.before, self.raced = before, 0
        self.lock = threading.Lock()
        super(RacingProxy, self).__init__(markers, self._race)

    def _race(self, _source):
        with self.lock:
            if not self.raced:
                self.raced += 1
                self.before()
        return True


@pytest.fixture
def race(docker_client, buildx_config, builder):
    """A builder name, the proxy whose first create of its node runs `docker buildx create --driver-opt OPTS`
    first, and what that made."""
    name = builder('race')
    made = {'driver_opts': 'image=%s' % TEST_IMAGE}

    def competitor():
        done = buildx(buildx_config, 'create', '--name', name, '--driver', 'docker-container', '--bootstrap',
                      '--driver-opt', made['driver_opts'], check=False, timeout=120)
        made['returncode'], made['output'] = done.returncode, done.stdout + done.stderr
        made['container'] = container(docker_client, name + '0')

    proxy = RacingProxy([b'POST ', b'/containers/create', b'name=buildx_buildkit_%s0' % name.encode()], competitor)
    yield name, proxy, made
    proxy.close()


def module_args(name, proxy, buildx_config):
    return dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE},
                docker_host='tcp://127.0.0.1:%d' % proxy.port, bootstrap_timeout=60)


def test_losing_the_race_to_buildx_create_adopts_the_matching_builder(ansible, docker_client, buildx_config, race):
    name, proxy, made = race
    args = module_args(name, proxy, buildx_config)
    result = ansible('buildkit_builder', **args)
    assert proxy.raced == 1, 'the module never created the container'
    assert made['returncode'] == 0 and made['container'] is not None, made.get('output')
    assert not result.get('failed'), result.get('msg')
    assert any('created meanwhile' in n and 'adopted' in n for n in result['notes']), result['notes']
    assert 'create container buildx_buildkit_%s0' % name not in result['actions'], result['actions']
    real = container(docker_client, name + '0')
    assert real['Id'] == made['container']['Id'] and real['State']['Running']  # buildx's container, kept
    assert result['builder']['nodes'][0]['container_id'] == real['Id']
    assert result['builder']['nodes'][0]['buildkit_version']
    again = ansible('buildkit_builder', **args)
    assert again['changed'] is False and not again.get('failed'), again
    assert name in buildx(buildx_config, 'ls').stdout


def test_losing_the_race_to_a_different_builder_fails_clearly_and_leaves_it(ansible, docker_client, buildx_config, race):
    name, proxy, made = race
    made['driver_opts'] = 'image=%s,memory=512m' % TEST_IMAGE
    result = ansible('buildkit_builder', **module_args(name, proxy, buildx_config))
    assert proxy.raced == 1 and made['returncode'] == 0, made.get('output')
    assert result['failed'] and 'created it meanwhile' in result['msg'] and 'container.memory' in result['msg'], result
    real = container(docker_client, name + '0')
    assert real['Id'] == made['container']['Id'] and real['State']['Running']  # left alone, not rolled back

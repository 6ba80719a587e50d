"""A build reaches local nodes on buildkitd's own socket: the view names them with the remote driver at their
sockets (names, platforms and default-load kept), only when every node of the build is local and serving, and a
build that fails because its node stopped meanwhile is run again through buildx's own route."""
import json
import os

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._build import direct_route as route
from ansible_collections.buildkit.fleet.plugins.module_utils._build import node_view as nv
from ansible_collections.buildkit.fleet.plugins.module_utils._build import run as run_mod
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import TaskFailed

SOCK = '/proc/%d/root/run/buildkit/buildkitd.sock'


def stored(names, driver='docker-container', endpoint='unix:///var/run/docker.sock', opts=None):
    raw = json.dumps({'Name': 'b', 'Driver': driver, 'Dynamic': False, 'Nodes': [
        {'Name': n, 'Endpoint': endpoint, 'Platforms': [{'architecture': 'amd64', 'os': 'linux'}],
         'DriverOpts': dict(opts or {'image': 'img', 'default-load': 'true'}), 'Flags': ['--debug'],
         'Files': {'buildkitd.toml': 'eA=='}} for n in names]}).encode()
    return {'name': 'b', 'driver': driver, 'raw': raw,
            'nodes': [{'name': n, 'endpoint': endpoint, 'platforms': [{'architecture': 'amd64', 'os': 'linux'}]}
                      for n in names]}


def test_the_view_names_the_node_at_its_socket_with_the_remote_driver(tmp_path):
    group = stored(['b0'])
    root = nv.write_view(str(tmp_path / 'view'), str(tmp_path / 'user'), 'b', group['raw'], [('b0', None)],
                         {'b0': SOCK % 42})
    with open(os.path.join(root, 'instances', 'b')) as handle:
        entry = json.load(handle)
    assert entry['Driver'] == 'remote' and entry['Name'] == 'b'
    (node,) = entry['Nodes']
    assert node == {'Name': 'b0', 'Endpoint': 'unix://' + SOCK % 42, 'Platforms': [{'architecture': 'amd64', 'os': 'linux'}],
                    'DriverOpts': {'default-load': 'true'}, 'Flags': None, 'Files': None}
    without = json.loads(nv.view_entry(stored(['b0'], opts={'image': 'img'})['raw'], [('b0', None)], {'b0': '/s'}))
    assert without['Nodes'][0]['DriverOpts'] is None


class Daemon(object):
    """The local daemon's answers: its nodes as {name: pid or None (not serving)}; the sockets asked are kept."""

    def __init__(self, monkeypatch, pids):
        self.pids, self.asked = pids, []
        monkeypatch.setattr(route, '_inspect', self.inspect)
        monkeypatch.setattr(route, 'serving_socket', self.serving)

    def inspect(self, path, name):
        self.asked.append(path)
        return {'Name': name}

    def serving(self, inspect):
        pid = self.pids.get(inspect['Name'][len('buildx_buildkit_'):])
        return SOCK % pid if pid else None


def test_node_sockets_only_when_every_node_is_local_and_serving(monkeypatch):
    daemon = Daemon(monkeypatch, {'b0': 10, 'b1': 11, 'b2': None})
    assert route.node_sockets(stored(['b0', 'b1']), ['b0', 'b1']) == {'b0': SOCK % 10, 'b1': SOCK % 11}
    assert daemon.asked == ['/var/run/docker.sock'] * 2
    assert route.node_sockets(stored(['b0', 'b2']), ['b0', 'b2']) is None  # b2 stopped or not answering
    assert route.node_sockets(stored(['b0'], driver='remote'), ['b0']) is None
    asked = len(daemon.asked)
    for endpoint in ('tcp://10.0.0.2:2376', 'ssh://builder@host2', 'mycontext'):
        assert route.node_sockets(stored(['b0'], endpoint=endpoint), ['b0']) is None
    assert len(daemon.asked) == asked  # another host's daemon is not even asked


def test_inspect_over_the_socket_is_none_without_a_daemon(tmp_path):
    assert route._inspect(str(tmp_path / 'no.sock'), 'buildx_buildkit_x0') is None


class Job(object):
    """What BuildRun._build_placed uses of a job.Build; records the driver and endpoint each build saw."""

    def __init__(self, group, root, failures):
        self.stored, self.root, self.failures, self.seen = group, root, list(failures), []

    def platforms(self):
        return []

    def identity(self):
        return 'ctx'

    def build(self, fingerprint, argv, env, stdin):
        store = env.get('BUILDX_CONFIG')
        if store:
            with open(os.path.join(store, 'instances', 'b')) as handle:
                entry = json.load(handle)
            self.seen.append((entry['Driver'], entry['Nodes'][0]['Endpoint']))
        else:
            self.seen.append(('user store', None))
        if self.failures and self.failures.pop(0):
            raise TaskFailed('build failed', steps={})
        return {}, {'vertices': [], 'warnings': []}, {}


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setattr(route, 'node_sockets', lambda stored, names: {'b0': SOCK % 7})
    params = {'builder': 'b', 'placement': 'affinity', 'outputs': None, 'placement_timeout': 2, 'build_timeout': 60,
              'buildx_config': None}
    runner = run_mod.BuildRun(params, False, str(tmp_path), None)
    return runner


def test_a_single_node_build_goes_to_the_socket(runner, tmp_path):
    job = Job(stored(['b0']), str(tmp_path / 'user'), [False])
    plan = runner._plan(job)
    _meta, _progress, _steps, plan = runner._build_placed(job, plan, 'sha256:x', ['buildx'], {}, None)
    assert job.seen == [('remote', 'unix://' + SOCK % 7)] and plan.result()['route'] == 'buildkitd socket'
    with open(str(tmp_path / 'user' / 'activity' / 'b')) as handle:  # as buildx marks it when a build starts
        assert handle.read().endswith('Z')
    assert sorted(os.listdir(str(tmp_path / 'user'))) == ['.lock', 'activity', 'instances', 'refs']


def test_a_node_that_stopped_during_the_build_is_built_on_through_buildx(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(route, 'still_serving', lambda sockets: False)
    job = Job(stored(['b0']), str(tmp_path / 'user'), [True, False])
    _meta, _progress, _steps, plan = runner._build_placed(job, runner._plan(job), 'sha256:x', ['buildx'], {}, None)
    assert job.seen == [('remote', 'unix://' + SOCK % 7), ('user store', None)]
    assert plan.result()['route'] == 'buildx'


def test_a_failed_build_on_a_serving_node_is_not_run_again(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(route, 'still_serving', lambda sockets: True)
    job = Job(stored(['b0']), str(tmp_path / 'user'), [True, False])
    with pytest.raises(TaskFailed):
        runner._build_placed(job, runner._plan(job), 'sha256:x', ['buildx'], {}, None)
    assert len(job.seen) == 1


def test_still_serving_asks_every_socket(monkeypatch):
    answers = {'/a': True, '/b': False}
    monkeypatch.setattr(route, 'serves', lambda path: answers[path])
    assert route.still_serving({'x': '/a'}) is True
    assert route.still_serving({'x': '/a', 'y': '/b'}) is False

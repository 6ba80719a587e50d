"""The placement plan of a build (placing.make_plan with a fake probe), the view store and the health parsing."""
import json
import os

from ansible_collections.buildkit.fleet.plugins.module_utils._build import node_health as nh
from ansible_collections.buildkit.fleet.plugins.module_utils._build import node_view as nv
from ansible_collections.buildkit.fleet.plugins.module_utils._build import placement as pl
from ansible_collections.buildkit.fleet.plugins.module_utils._build import placing

AMD = ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/arm/v7']


def stored(nodes, driver='docker-container'):
    raw = json.dumps({'Name': 'pool', 'Driver': driver, 'Dynamic': False, 'Nodes': [
        {'Name': n['name'], 'Endpoint': n.get('endpoint', 'unix:///e/' + n['name']), 'Platforms': n.get('platforms'),
         'DriverOpts': {'image': 'img', 'network': 'host'}, 'Flags': ['--debug'], 'Files': {'buildkitd.toml': 'eA=='}}
        for n in nodes]}).encode()
    return {'name': 'pool', 'driver': driver, 'raw': raw,
            'nodes': [{'name': n['name'], 'endpoint': 'unix:///e/' + n['name'], 'platforms': n.get('platforms') or []}
                      for n in nodes]}


class Probe(object):
    def __init__(self, answers):
        self.answers, self.asked = answers, []

    def __call__(self, names):
        self.asked.append(sorted(names))
        return dict((n, self.answers.get(n, ('unreachable: x', None))) for n in names)


def params(**more):
    found = {'builder': 'pool', 'placement': 'affinity', 'outputs': None}
    found.update(more)
    return found


def ident(i):
    return pl.identity('/srv/app%d' % i, 'Dockerfile', '')


def test_buildx_mode_and_single_node_ask_nobody():
    probe = Probe({})
    plan = placing.make_plan(params(placement='buildx'), stored([{'name': 'a'}, {'name': 'b'}]), ['linux/amd64'], ident(0), probe)
    assert not plan.applied and plan.mode == 'buildx' and probe.asked == []
    plan = placing.make_plan(params(), stored([{'name': 'a'}]), ['linux/amd64'], ident(0), probe)
    assert not plan.applied and plan.platforms['linux/amd64']['node'] == 'a' and probe.asked == []
    assert plan.platforms['linux/amd64']['reason'] == pl.ONLY_NODE


def test_one_declared_node_per_platform_asks_nobody():
    probe = Probe({})
    nodes = [{'name': 'a', 'platforms': [{'os': 'linux', 'architecture': 'amd64'}]},
             {'name': 'b', 'platforms': [{'os': 'linux', 'architecture': 'arm64'}]}]
    group = stored(nodes)
    group['nodes'] = [{'name': n['name'], 'platforms': n['platforms']} for n in nodes]
    plan = placing.make_plan(params(), group, ['linux/amd64', 'linux/arm64'], ident(0), probe)
    assert probe.asked == [] and not plan.applied
    assert plan.platforms['linux/arm64']['node'] == 'b' and plan.platforms['linux/amd64']['node'] == 'a'


def test_pool_of_two_spreads_and_fails_over():
    group = stored([{'name': 'a'}, {'name': 'b'}])
    healthy = {'a': (pl.HEALTHY, AMD), 'b': (pl.HEALTHY, AMD)}
    chosen = [placing.make_plan(params(), group, ['linux/amd64'], ident(i), Probe(healthy)).platforms['linux/amd64']['node']
              for i in range(40)]
    assert set(chosen) == {'a', 'b'}
    for i in range(40):
        plan = placing.make_plan(params(), group, ['linux/amd64'], ident(i), Probe({'a': ('stopped', None), 'b': healthy['b']}))
        decision = plan.platforms['linux/amd64']
        assert plan.applied and decision['node'] == 'b'
        assert decision['reason'] == (pl.FAILOVER if chosen[i] == 'a' else pl.AFFINITY)
        assert decision['failover_from'] == ([{'node': 'a', 'state': 'stopped'}] if chosen[i] == 'a' else [])
        assert plan.assignments == [('b', ['linux/amd64'])]


def test_no_platforms_takes_the_first_nodes_native_one_and_keeps_store_platforms():
    group = stored([{'name': 'a'}, {'name': 'b'}])
    plan = placing.make_plan(params(), group, [], ident(1), Probe({'a': (pl.HEALTHY, AMD), 'b': (pl.HEALTHY, AMD)}))
    assert plan.applied and list(plan.platforms) == ['linux/amd64'] and plan.assignments[0][1] is None


def test_whole_build_outputs_put_every_platform_on_one_node():
    group = stored([{'name': 'a'}, {'name': 'b'}])
    answers = {'a': (pl.HEALTHY, AMD), 'b': (pl.HEALTHY, AMD)}
    for i in range(10):
        plan = placing.make_plan(params(outputs=[{'type': 'oci', 'dest': '/x'}]), group, ['linux/amd64', 'linux/arm64'],
                                 ident(i), Probe(answers))
        assert len(plan.assignments) == 1 and sorted(plan.assignments[0][1]) == ['linux/amd64', 'linux/arm64']
    spread = set()
    for i in range(20):
        plan = placing.make_plan(params(outputs=[{'type': 'push'}]), group, ['linux/amd64', 'linux/arm64'], ident(i),
                                 Probe(answers))
        spread.add(len(plan.assignments))
    assert spread == {1, 2}  # push: each platform placed on its own


def test_nobody_usable_leaves_it_to_buildx():
    group = stored([{'name': 'a'}, {'name': 'b'}])
    plan = placing.make_plan(params(), group, ['linux/amd64'], ident(0), Probe({}))
    assert not plan.applied and 'buildx chooses' in plan.note
    plan = placing.make_plan(params(), group, ['linux/amd64'], ident(0), Probe({'a': ('stopped', None), 'b': ('unreachable: x', None)}))
    assert plan.applied and plan.platforms['linux/amd64']['node'] == 'a' and plan.platforms['linux/amd64']['reason'] == pl.BOOT


def test_result_with_steps():
    group = stored([{'name': 'a'}, {'name': 'b'}])
    plan = placing.make_plan(params(), group, ['linux/amd64'], ident(0), Probe({'a': (pl.HEALTHY, AMD), 'b': (pl.HEALTHY, AMD)}))
    found = plan.result({None: {'total': 2, 'cached': 1, 'executed': 1, 'pulled': 0}})
    assert found['platforms']['linux/amd64']['steps']['total'] == 2
    assert found['nodes_asked'] == {'a': pl.HEALTHY, 'b': pl.HEALTHY} and found['applied'] is True


def test_view_names_only_the_chosen_node_and_keeps_its_entry(tmp_path):
    group = stored([{'name': 'a'}, {'name': 'b'}])
    user = tmp_path / 'user'
    user.mkdir()
    (user / '.buildNodeID').write_text('abc123')
    root = nv.write_view(str(tmp_path / 'view'), str(user), 'Pool', group['raw'], [('b', ['linux/amd64'])])
    with open(os.path.join(root, 'instances', 'pool')) as handle:
        entry = json.load(handle)
    original = json.loads(group['raw'])['Nodes'][1]
    assert entry['Name'] == 'pool' and entry['Driver'] == 'docker-container' and len(entry['Nodes']) == 1
    node = entry['Nodes'][0]
    assert node['Platforms'] == [{'architecture': 'amd64', 'os': 'linux'}]
    assert dict(node, Platforms=None) == dict(original, Platforms=None)
    assert (tmp_path / 'view' / '.buildNodeID').read_text() == 'abc123'
    assert os.listdir(str(user)) == ['.buildNodeID']  # the user's store is only read
    kept = nv.write_view(str(tmp_path / 'view2'), str(tmp_path / 'nostore'), 'pool', group['raw'], [('a', None)])
    with open(os.path.join(kept, 'instances', 'pool')) as handle:
        assert json.load(handle)['Nodes'][0]['Platforms'] is None
    assert not os.path.exists(str(tmp_path / 'nostore'))


def test_parse_inspect_and_probe_remote():
    text = 'Name:   pool\nDriver: remote\n\nNodes:\nName:      n0\nEndpoint:  tcp://x:1234\nStatus:    running\n' \
           'Platforms: linux/amd64*, linux/amd64/v2, linux/386\n'
    assert nh.parse_inspect(text) == ('running', ['linux/amd64', 'linux/amd64/v2', 'linux/386'])
    assert nh.probe_remote(lambda timeout: (0, text, ''), 5) == (pl.HEALTHY, ['linux/amd64', 'linux/amd64/v2', 'linux/386'])
    assert nh.probe_remote(lambda timeout: (None, '', ''), 5) == ('no answer within 5s', None)
    state, found = nh.probe_remote(lambda timeout: (1, '', 'ERROR: connection refused\n'), 5)
    assert state == 'not answering: ERROR: connection refused' and found is None


def test_probe_all_bounds_each_node():
    import time
    started = time.monotonic()
    found = nh.probe_all({'slow': lambda: time.sleep(5) or (pl.HEALTHY, []), 'fast': lambda: (pl.HEALTHY, ['linux/amd64']),
                          'broken': lambda: 1 / 0}, 0.5)
    assert time.monotonic() - started < 2
    assert found['slow'] == ('no answer within 0.5s', None)
    assert found['fast'] == (pl.HEALTHY, ['linux/amd64'])
    assert found['broken'][0].startswith('unreachable: ')


class FakeJob(object):
    """What BuildRun's placement steps use of a job.Build: the stored builder, the build, identity, platforms."""

    def __init__(self, group, root, fail_on):
        self.stored, self.root, self.fail_on, self.used = group, root, fail_on, []
        self.base = ['docker', 'buildx']

    def platforms(self):
        return ['linux/amd64']

    def identity(self):
        return ident(3)

    def build(self, fingerprint, argv, env, stdin):
        from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import TaskFailed
        with open(os.path.join(env['BUILDX_CONFIG'], 'instances', 'pool')) as handle:
            node = json.load(handle)['Nodes'][0]['Name']
        self.used.append(node)
        if node in self.fail_on:
            raise TaskFailed('build failed: connection reset', steps={})
        return {}, {'vertices': [], 'warnings': []}, {}


def test_a_node_lost_during_the_build_hands_it_to_the_next(tmp_path, monkeypatch):
    from ansible_collections.buildkit.fleet.plugins.module_utils._build import run as run_mod
    from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import TaskFailed
    group = stored([{'name': 'a'}, {'name': 'b'}])
    first = pl.order(pl.placement_key('pool', ident(3), 'linux/amd64'), ['a', 'b'])
    states = {'a': (pl.HEALTHY, AMD), 'b': (pl.HEALTHY, AMD)}
    monkeypatch.setattr(nh, 'probe_container', lambda node, params: states[node['name']])
    build_params = dict(params(), placement_timeout=2, build_timeout=60, buildx_config=None)
    runner = run_mod.BuildRun(build_params, False, str(tmp_path), None)
    job = FakeJob(group, str(tmp_path / 'user'), fail_on=[first[0]])
    plan = runner._plan(job)
    assert plan.platforms['linux/amd64']['node'] == first[0]
    states[first[0]] = ('stopped', None)  # the node went away during the build
    _meta, _progress, _steps, plan = runner._build_placed(job, plan, 'sha256:x', ['buildx'], {}, None)
    assert job.used == first and plan.platforms['linux/amd64']['node'] == first[1]
    assert plan.platforms['linux/amd64']['reason'] == pl.FAILOVER
    assert plan.platforms['linux/amd64']['failover_from'][0]['state'].startswith('failed during the build (stopped')

    # a build that fails on a node that still answers is a failed build: no second try, the placement is in it
    states[first[0]] = (pl.HEALTHY, AMD)
    job = FakeJob(group, str(tmp_path / 'user'), fail_on=['a', 'b'])
    plan = runner._plan(job)
    try:
        runner._build_placed(job, plan, 'sha256:x', ['buildx'], {}, None)
        raise AssertionError('no failure')
    except TaskFailed as exc:
        assert job.used == [first[0]] and exc.details['placement']['platforms']['linux/amd64']['node'] == first[0]

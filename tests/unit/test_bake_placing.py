"""buildkit_bake's placement of stale targets (pure): identities, dependency groups, calls, result entries, and
the plan of each group through buildkit_build's make_plan with a fake probe."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import placing as bp
from ansible_collections.buildkit.fleet.plugins.module_utils._build import placement as pl
from ansible_collections.buildkit.fleet.plugins.module_utils._build.placing import Plan, make_plan

TARGETS = {
    'base': {'context': 'base', 'platforms': ['linux/amd64']},
    'app': {'context': 'app', 'contexts': {'base': 'target:base'}, 'platforms': ['amd64', 'linux/arm64']},
    'top': {'context': 'top', 'contexts': {'a': 'target:app'}},
    'web': {'context': 'web', 'output': [{'type': 'docker'}]},
    'api': {'context': 'api', 'output': [{'type': 'registry'}]},
    'tool': {'context': 'tool', 'contexts': {'b': 'target:base'}},
}


def test_identity_is_location_dockerfile_and_name_not_content():
    one = bp.target_identity('/srv/app', 'web', {'context': 'web', 'dockerfile': 'Dockerfile'})
    assert one == pl.identity('/srv/app/web', 'Dockerfile', 'web')
    assert bp.target_identity('/srv/app', 'web', {'context': './web/'}) == one  # normalised, default Dockerfile
    assert bp.target_identity('/srv/app', 'web2', {'context': 'web'}) != one
    assert bp.target_identity('/srv/app', 'web', {'context': 'web', 'dockerfile': 'web.Dockerfile'}) != one
    assert bp.target_identity('/srv/app', 'w', {'context': 'w', 'dockerfile-inline': 'FROM x'}) == pl.identity('/srv/app/w', '-', 'w')
    remote = 'https://github.com/moby/buildkit.git#main'
    assert bp.target_identity('/srv/app', 'r', {'context': remote}) == pl.identity(remote, 'Dockerfile', 'r')
    assert bp.target_identity('/srv/app', 'dot', {}) == pl.identity('/srv/app', 'Dockerfile', 'dot')


@pytest.mark.parametrize('stale,expected', [
    (['web', 'api'], [('web', ['web']), ('api', ['api'])]),
    (['base', 'app', 'web'], [('app', ['base', 'app']), ('web', ['web'])]),
    (['base', 'app', 'top'], [('top', ['base', 'app', 'top'])]),
    (['base', 'top'], [('top', ['base', 'top'])]),  # through app, which is not stale
    (['base', 'app', 'tool'], [('app', ['base', 'app', 'tool'])]),  # two roots: the first by name
    (['app', 'tool'], [('app', ['app']), ('tool', ['tool'])]),  # they share only base, which is not stale
])
def test_dependency_groups(stale, expected):
    assert bp.dependency_groups(stale, TARGETS) == expected


def test_group_platforms_and_params():
    assert bp.group_platforms(['base', 'app'], TARGETS) == ['linux/amd64', 'linux/arm64']
    assert bp.group_platforms(['web'], TARGETS) == []
    params = {'placement': 'affinity', 'builder': 'ci', 'load': False}
    assert bp.group_params(params, ['web', 'api'], TARGETS)['outputs'] == [{'type': 'load'}, {'type': 'push'}]
    assert bp.group_params(dict(params, load=True), ['base'], TARGETS)['outputs'] == [{'type': 'load'}]
    assert bp.group_params(params, ['base'], TARGETS) == {'placement': 'affinity', 'builder': 'ci', 'outputs': []}


def _plan(applied, assignments):
    plan = Plan('affinity', applied=applied)
    plan.assignments = assignments
    return plan


def test_calls_join_groups_by_nodes_and_keep_the_build_order():
    groups = [('app', ['base', 'app']), ('web', ['web']), ('api', ['api']), ('top', ['top'])]
    plans = {'app': _plan(True, [('n1', ['linux/amd64'])]), 'web': _plan(True, [('n2', ['linux/amd64'])]),
             'api': _plan(True, [('n1', ['linux/amd64'])]), 'top': _plan(False, [])}
    found = bp.calls(groups, plans, ['top', 'api', 'base', 'app', 'web'])
    assert found == [(None, ['top']), ((('n1', ('linux/amd64',)),), ['api', 'base', 'app']),
                     ((('n2', ('linux/amd64',)),), ['web'])]
    assert bp.calls([('web', ['web'])], {'web': _plan(True, [('n1', None)])}) == [((('n1', None),), ['web'])]


def _stored(names):
    return {'name': 'ci', 'driver': 'docker-container', 'raw': b'{}',
            'nodes': [{'name': n, 'platforms': []} for n in names]}


def test_groups_spread_over_a_pool_and_fail_over():
    asked = []

    def probe(names):
        asked.append(sorted(names))
        return dict((n, (pl.HEALTHY, ['linux/amd64'])) for n in names)
    targets = dict(('t%d' % i, {'context': 't%d' % i, 'platforms': ['linux/amd64']}) for i in range(12))
    params = {'placement': 'affinity', 'builder': 'ci'}
    known, chosen = {}, {}
    for name in sorted(targets):
        plan = make_plan(bp.group_params(params, [name], targets), _stored(['n1', 'n2']), ['linux/amd64'],
                         bp.target_identity('/w', name, targets[name]), probe, known)
        known.update(plan.answers)
        chosen[name] = bp.target_entry(plan, name)
        key = pl.placement_key('ci', bp.target_identity('/w', name, targets[name]), 'linux/amd64')
        assert chosen[name]['node'] == pl.order(key, ['n1', 'n2'])[0] and chosen[name]['reason'] == 'affinity'
    assert asked == [['n1', 'n2']]  # asked once for all groups
    assert set(e['node'] for e in chosen.values()) == {'n1', 'n2'}
    down = dict(known, n1=('stopped', None))
    for name in sorted(targets):
        plan = make_plan(bp.group_params(params, [name], targets), _stored(['n1', 'n2']), ['linux/amd64'],
                         bp.target_identity('/w', name, targets[name]), probe, down)
        entry = bp.target_entry(plan, name)
        assert entry['node'] == 'n2'
        if chosen[name]['node'] == 'n1':
            assert entry['reason'] == 'failover' and entry['failover_from'] == [{'node': 'n1', 'state': 'stopped'}]


def test_one_node_or_buildx_asks_nobody_and_one_call():
    def probe(names):
        raise AssertionError('asked %s' % names)
    targets = {'web': {'context': 'web'}, 'api': {'context': 'api'}}
    groups = bp.dependency_groups(['web', 'api'], targets)
    for stored, params in ((_stored(['n1']), {'placement': 'affinity', 'builder': 'ci'}),
                           (_stored(['n1', 'n2']), {'placement': 'buildx', 'builder': 'ci'})):
        plans = dict((root, make_plan(bp.group_params(params, members, targets), stored, [],
                                      bp.target_identity('/w', root, targets[root]), probe, {}))
                     for root, members in groups)
        assert bp.calls(groups, plans, ['web', 'api']) == [(None, ['web', 'api'])]
    entry = bp.target_entry(plans['web'], 'web')
    assert entry['node'] is None and not entry['applied'] and 'buildx' in entry['note']


class _Checker(object):
    remote_cache = {}

    def prefetch(self, _definitions):
        pass

    def remote(self, _tag):
        return None

    def write_records(self, *_args):
        return []

    def close(self):
        pass


def _bake_run(lost):
    """A BakeRun whose bake calls fail on the nodes in `lost` (which then answer `stopped`), no process run."""
    from ansible_collections.buildkit.fleet.plugins.module_utils._bake import run as brun
    run = brun.BakeRun({'builder': 'ci', 'buildx_config': '/nonexistent', 'placement': 'affinity', 'working_dir': '/w',
                        'build_timeout': 60, 'placement_timeout': 5, 'metadata_file': None}, False, '/tmp', None)
    run.stored = _stored(['n1', 'n2'])
    calls = []

    def probe_of(_base, _env):
        def probe(names):
            return dict((n, ('stopped', None) if n in lost and calls else (pl.HEALTHY, ['linux/amd64'])) for n in names)
        return probe

    def call(_base, _env, _targets, _found, key, members, _index):
        calls.append((key, list(members)))
        if any(node in lost for node, _platforms in key or ()):
            return 1, 'ERROR: failed to receive status: rpc error: connection closed', {}, ['bake'] + list(members)
        return 0, '', dict((m, {'containerimage.digest': 'sha256:' + 'a' * 64}) for m in members), ['bake'] + list(members)
    run._probe, run._call = probe_of, call
    return run, calls


def _bake_inputs():
    targets = dict(('t%d' % i, {'context': 't%d' % i, 'platforms': ['linux/amd64'], 'tags': []}) for i in range(8))
    found = dict((n, ('sha256:%d' % i, None, {})) for i, n in enumerate(sorted(targets)))
    result = {'targets': dict((n, {'tags': []}) for n in targets)}
    return targets, found, result


def test_a_call_whose_node_is_lost_runs_again_on_the_next_node():
    run, calls = _bake_run(lost=['n1'])
    targets, found, result = _bake_inputs()
    build_list = sorted(targets)
    placed = run._place([], {}, targets, build_list)
    home = dict((n, bp.target_entry(placed['plans'][n], n)['node']) for n in build_list)
    assert set(home.values()) == {'n1', 'n2'}
    done = run._build([], {}, targets, found, build_list, result, _Checker(), placed)
    assert done['built_targets'] == build_list and done['changed']
    assert [c['nodes'] for c in done['placement']['calls']] == [['n2'], ['n2']]
    assert sorted(t for c in done['placement']['calls'] for t in c['targets']) == build_list
    for name in build_list:
        entry = done['targets'][name]['placement']
        assert entry['node'] == 'n2'
        if home[name] == 'n1':
            assert entry['reason'] == 'failover'
            assert entry['failover_from'] == [{'node': 'n1', 'state': 'failed during the build (stopped)'}]
    assert len(calls) == 3  # n1 and n2 in parallel, then n1's targets again on n2


def test_a_call_failing_on_a_healthy_node_fails_with_its_placement():
    from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import TaskFailed
    run, _calls = _bake_run(lost=[])

    def failing(_base, _env, _targets, _found, key, members, _index):
        return 1, 'ERROR: failed to solve: process "/bin/false" did not complete successfully', {}, ['bake'] + list(members)
    run._call = failing
    targets, found, result = _bake_inputs()
    build_list = sorted(targets)
    placed = run._place([], {}, targets, build_list)
    with pytest.raises(TaskFailed) as caught:
        run._build([], {}, targets, found, build_list, result, _Checker(), placed)
    assert caught.value.details['built_targets'] == [] and caught.value.details['placement']['applied']
    assert 'did not complete successfully' in caught.value.msg

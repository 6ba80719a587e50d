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

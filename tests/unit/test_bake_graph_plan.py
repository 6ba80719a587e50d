"""buildkit_bake's pure parts: the target graph, the plan of stale targets and its reasons."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import graph
from ansible_collections.buildkit.fleet.plugins.module_utils._bake import plan

TARGETS = {
    'base': {'context': 'base'},
    'app': {'context': 'app', 'contexts': {'base': 'target:base', 'src': '../src', 'img': 'docker-image://alpine'}},
    'web': {'context': 'web'},
    'api': {'context': 'api'},
    'top': {'context': 'top', 'contexts': {'a': 'target:app'}},
}
GROUPS = {'default': {'targets': ['services', 'app']}, 'services': {'targets': ['web', 'api']},
          'loop': {'targets': ['loop']}}


def test_dependencies_only_target_contexts():
    assert graph.dependencies(TARGETS['app']) == ['base']
    assert graph.dependencies(TARGETS['web']) == []


@pytest.mark.parametrize('names,expected', [
    (['default'], ['web', 'api', 'app']),
    (['services', 'web'], ['web', 'api']),
    (['top'], ['top']),
])
def test_expand_groups(names, expected):
    assert graph.expand(names, GROUPS, TARGETS) == expected


def test_expand_unknown_and_cycle():
    with pytest.raises(graph.GraphError, match="'nosuch' is neither a target nor a group"):
        graph.expand(['nosuch'], GROUPS, TARGETS)
    with pytest.raises(graph.GraphError, match='contains itself'):
        graph.expand(['loop'], GROUPS, TARGETS)


def test_build_order_dependencies_first():
    order = graph.build_order(TARGETS)
    assert order.index('base') < order.index('app') < order.index('top')
    assert sorted(order) == sorted(TARGETS)


def test_build_order_cycle_and_missing():
    with pytest.raises(graph.GraphError, match='depend on each other'):
        graph.build_order({'a': {'contexts': {'x': 'target:b'}}, 'b': {'contexts': {'y': 'target:a'}}})
    with pytest.raises(graph.GraphError, match='target:gone'):
        graph.build_order({'a': {'contexts': {'x': 'target:gone'}}})


def test_closure_and_dependents():
    assert graph.closure(['top'], TARGETS) == ['app', 'base', 'top']
    assert graph.dependents(TARGETS)['base'] == ['app']


INPUTS = {'dockerfile': 'd1', 'contexts': {'context': 'c1'}, 'definition': {'args.X': 'x1', 'tags': 't1'},
          'dependencies': {}, 'variables': {'X': 'v1'}}


def changed(**parts):
    new = dict(INPUTS)
    new.update(parts)
    return new


@pytest.mark.parametrize('current,values,definition,expected', [
    (INPUTS, None, None, []),
    (changed(dockerfile='d2'), None, None, ['Dockerfile']),
    (changed(contexts={'context': 'c2'}), None, None, ['files in the context']),
    (changed(contexts={'context': 'c1', 'named:src': 's'}), None, None, ['files in named context src']),
    (changed(definition={'args.X': 'x2', 'tags': 't1'}, variables={'X': 'v2'}), {'X': 'two'},
     {'args': {'X': 'two'}}, ['variable X', 'definition (args.X)']),
    (changed(definition={'args.X': 'x1', 'tags': 't2'}, variables={'X': 'v2'}), {'X': 'two'},
     {'tags': ['other']}, ['definition (tags)']),  # the changed variable does not show in the changed field
    (changed(dependencies={'base': 'b2'}), None, None, ['dependency base']),
])
def test_changed_inputs(current, values, definition, expected):
    assert plan.changed_inputs(INPUTS, current, values, definition) == expected


def test_changed_inputs_without_record():
    assert plan.changed_inputs(None, INPUTS) == []


def test_stale_targets_propagate_through_the_graph():
    targets = dict(TARGETS)
    requested = ['base', 'app', 'web', 'api', 'top']
    checks = dict((n, (None, INPUTS)) for n in requested)
    checks['base'] = ('tag r/base:1 (linux/amd64) was built from other inputs', INPUTS)
    current = dict((n, INPUTS) for n in requested)
    current['base'] = changed(contexts={'context': 'c2'})
    stale, order = plan.stale_targets(requested, targets, checks, current)
    assert sorted(stale) == ['app', 'base', 'top']
    assert 'inputs changed: files in the context' in stale['base'][0]
    assert stale['app'] == ['dependency base is rebuilt']
    assert stale['top'] == ['dependency app is rebuilt']
    assert order.index('base') < order.index('app') < order.index('top')


def test_stale_through_a_dependency_only_target():
    requested = ['base', 'top']  # app is only a dependency of top
    checks = {'base': ('image base:1 is not in Docker', None), 'top': (None, INPUTS)}
    stale, order = plan.stale_targets(requested, TARGETS, checks, {'base': INPUTS, 'top': INPUTS})
    assert stale == {'base': ['image base:1 is not in Docker'], 'top': ['dependency base is rebuilt']}
    assert order == ['base', 'top']


def test_rebuild_always_and_missing_output():
    checks = {'web': ('image web:1 is not in Docker', None), 'api': (None, INPUTS)}
    stale, _order = plan.stale_targets(['web', 'api'], TARGETS, checks, {'web': INPUTS, 'api': INPUTS})
    assert stale == {'web': ['image web:1 is not in Docker']}
    stale, _order = plan.stale_targets(['web', 'api'], TARGETS, checks, {'web': INPUTS, 'api': INPUTS}, 'always')
    assert stale == {'api': ['rebuild=always'], 'web': ['rebuild=always']}


def test_diff_before_after():
    found = {'web': ('sha256:1', {}, INPUTS), 'api': ('sha256:2', {}, INPUTS)}
    result = plan.diff(['web', 'api'], {'web': ['x']}, found, {'web': INPUTS})
    assert result['before']['api'] == {'inputs': 'none recorded'}
    assert result['after']['web'] == {'fingerprint': 'sha256:1', 'inputs': INPUTS, 'build': True, 'reasons': ['x']}

"""buildkit_bake on a pool: two linux/amd64 nodes (a on the main dockerd, b on the second), a bake file of six
independent targets and a base/app pair joined by `target:`. The stale targets spread over both nodes as
buildkit_build places builds; check mode predicts each target's node; a changed file rebuilds its target on the
same node; a stopped node hands its targets to the other, and the result names the failover.

Where a target was built is read on the nodes (`buildctl du --verbose` in each node's container lists the RUN
step holding the target's unique token), not from the module's result."""
import os
import shutil

import pytest

from build_support import BUSYBOX_DIR, REGISTRY, unique
# the pool and its daemons, shared with the buildkit_build placement tests (fixtures: used as arguments)
from test_build_placement import du, docker2, main_docker, pool, store_snapshot  # noqa: F401 pylint: disable=unused-import

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import placing as bplacing
from ansible_collections.buildkit.fleet.plugins.module_utils._build import placement as pl

SERVICE = ('FROM scratch\nCOPY bb-amd64 /bin/busybox\n'
           'RUN ["/bin/busybox", "sh", "-c", "echo %s > /token"]\n'
           'COPY src.txt /src.txt\n'
           'RUN ["/bin/busybox", "sh", "-c", "cat /src.txt > /out"]\n')
APP = 'FROM base\nRUN ["/bin/busybox", "sh", "-c", "echo %s > /app"]\n'
TARGET = '''target "%(name)s" {
  context = "ctx/%(name)s"
  platforms = ["linux/amd64"]
  tags = ["%(registry)s/bkf-bakepl/%(uid)s-%(name)s:1"]
  output = ["type=registry"]
%(extra)s}
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(text)


def side_of(pool, root, name):
    nodes = pool['nodes']
    identity = bplacing.target_identity(root, name, {'context': 'ctx/' + name, 'dockerfile': 'Dockerfile'})
    first = pl.order(pl.placement_key(pool['name'], identity, 'linux/amd64'), [nodes['a'], nodes['b']])[0]
    return 'a' if first == nodes['a'] else 'b'


@pytest.fixture(scope='module')
def project(pool):
    """Six services (three hash to each node) and base/app; every target has its own token."""
    root = str(pool['work'] / unique('bakepl'))
    uid = unique('')
    chosen, per = [], {'a': 0, 'b': 0}
    for index in range(100):
        name = 'svc%02d' % index
        side = side_of(pool, root, name)
        if per[side] < 3:
            per[side] += 1
            chosen.append((name, side))
        if len(chosen) == 6:
            break
    assert per == {'a': 3, 'b': 3}
    tokens, text = {}, ''
    for name in [n for n, _s in chosen] + ['base']:
        tokens[name] = unique('tok')
        write(os.path.join(root, 'ctx', name, 'Dockerfile'), SERVICE % tokens[name])
        write(os.path.join(root, 'ctx', name, 'src.txt'), 'one\n')
        shutil.copy(os.path.join(BUSYBOX_DIR, 'bb-amd64'), os.path.join(root, 'ctx', name, 'bb-amd64'))
        text += TARGET % {'name': name, 'registry': REGISTRY, 'uid': uid, 'extra': ''}
    tokens['app'] = unique('tok')
    write(os.path.join(root, 'ctx', 'app', 'Dockerfile'), APP % tokens['app'])
    text += TARGET % {'name': 'app', 'registry': REGISTRY, 'uid': uid, 'extra': '  contexts = { base = "target:base" }\n'}
    names = [n for n, _s in chosen]
    text += 'group "default" { targets = [%s] }\n' % ', '.join('"%s"' % n for n in names + ['base', 'app'])
    write(os.path.join(root, 'docker-bake.hcl'), text)
    return {'root': root, 'sides': dict(chosen), 'tokens': tokens, 'services': names}


def bake(pool, project, check=False, **more):
    args = dict(builder=pool['name'], buildx_config=pool['store'], working_dir=project['root'],
                files=['docker-bake.hcl'])
    args.update(more)
    result = pool['run']('buildkit_bake', check=check, **args)
    assert not result['failed'], (result.get('msg')[-600:], result.get('log_tail'))
    return result


def holders(pool, token, main_docker, docker2, names=('a', 'b')):
    """The nodes (a, b) whose BuildKit cache holds the RUN step with the token."""
    found = []
    for key in names:
        node = pool['nodes'][key]
        client = docker2 if key == 'b' else main_docker
        if token in du(client, node):
            found.append(key)
    return found


def test_bake_pool_spreads_predicts_keeps_affinity_and_fails_over(pool, project, main_docker, docker2):
    nodes = pool['nodes']
    side_node = dict((side, nodes[side]) for side in 'ab')
    everything = project['services'] + ['base', 'app']
    before = store_snapshot(pool['store'])

    # check mode: every target stale, each with its node predicted; two calls, one per node
    predicted = bake(pool, project, check=True)
    assert predicted['changed'] and sorted(predicted['stale_targets']) == sorted(everything)
    assert predicted['built_targets'] == []
    for name in project['services']:
        entry = predicted['targets'][name]['placement']
        assert entry['node'] == side_node[project['sides'][name]] and entry['reason'] == 'affinity', entry
        assert entry['applied'] and entry['by'] == 'hash' and entry['failover_from'] == []
    pair = predicted['targets']['app']['placement']
    assert predicted['targets']['base']['placement']['node'] == pair['node']
    assert predicted['targets']['base']['placement']['placed_by'] == 'app' == pair['placed_by']
    assert predicted['placement']['applied'] and sorted(predicted['placement']['nodes_asked']) == sorted(nodes[s] for s in 'ab')
    assert sorted(n for call in predicted['placement']['calls'] for n in call['nodes']) == sorted([nodes['a'], nodes['b']])
    for name in everything:  # check mode built nothing anywhere
        assert holders(pool, project['tokens'][name], main_docker, docker2) == []

    # the real run builds each target where check mode said; the nodes hold them there
    done = bake(pool, project)
    assert done['changed'] and sorted(done['built_targets']) == sorted(everything)
    for name in everything:
        assert done['targets'][name]['placement']['node'] == predicted['targets'][name]['placement']['node']
    for name in project['services']:
        assert holders(pool, project['tokens'][name], main_docker, docker2) == [project['sides'][name]], name
    pair_side = 'a' if pair['node'] == nodes['a'] else 'b'
    for name in ('base', 'app'):  # one call builds base inside app's build, on app's node
        assert holders(pool, project['tokens'][name], main_docker, docker2) == [pair_side], name
    calls = done['placement']['calls']
    assert len(calls) == 2 and all(len(call['nodes']) == 1 for call in calls), calls
    assert [c for c in calls if 'app' in c['targets']][0]['targets'].count('base') == 1
    assert all(call['command'][-1] in call['targets'] for call in calls)
    assert store_snapshot(pool['store']) == before  # the user's buildx store never changes

    # nothing changed: nothing built, no node asked
    again = bake(pool, project)
    assert not again['changed'] and again['built_targets'] == [] and 'placement' not in again

    # one file changed (the Dockerfile of a service on b, a new step): only that target, on the same node
    name = [n for n in project['services'] if project['sides'][n] == 'b'][0]
    token = unique('tok')
    with open(os.path.join(project['root'], 'ctx', name, 'Dockerfile'), 'a') as handle:
        handle.write('RUN ["/bin/busybox", "sh", "-c", "echo %s > /more"]\n' % token)
    check = bake(pool, project, check=True)
    assert check['stale_targets'] == [name] and check['targets'][name]['placement']['node'] == nodes['b']
    changed = bake(pool, project)
    assert changed['built_targets'] == [name] and changed['targets'][name]['placement']['node'] == nodes['b']
    assert holders(pool, token, main_docker, docker2) == ['b']
    assert changed['targets'][name]['steps']['executed'] >= 1 and changed['targets'][name]['steps']['cached'] >= 2

    # node a stopped: every stale target builds on b; those that hash to a name the failover from a
    container_a = main_docker.containers.get('buildx_buildkit_' + nodes['a'])
    started_b = docker2.api.inspect_container('buildx_buildkit_' + nodes['b'])['State']['StartedAt']
    container_a.stop()
    try:
        check = bake(pool, project, check=True, rebuild='always')
        failed_over = bake(pool, project, rebuild='always')
        assert sorted(failed_over['built_targets']) == sorted(everything)
        assert failed_over['placement']['nodes_asked'][nodes['a']] == 'stopped'
        assert [c['nodes'] for c in failed_over['placement']['calls']] == [[nodes['b']]]
        for name in everything:
            entry = failed_over['targets'][name]['placement']
            assert entry['node'] == nodes['b'] == check['targets'][name]['placement']['node'], (name, entry)
            first = entry['order'][0]
            if first == nodes['a']:
                assert entry['reason'] == 'failover' and entry['failover_from'] == [{'node': nodes['a'], 'state': 'stopped'}]
            else:
                assert entry['reason'] == 'affinity' and entry['failover_from'] == []
        for name in project['services'] + ['base', 'app']:
            assert 'b' in holders(pool, project['tokens'][name], main_docker, docker2, names=('b',)), name
        assert main_docker.api.inspect_container('buildx_buildkit_' + nodes['a'])['State']['Running'] is False
    finally:
        container_a.start()
    assert docker2.api.inspect_container('buildx_buildkit_' + nodes['b'])['State']['StartedAt'] == started_b
    assert store_snapshot(pool['store']) == before


def test_bake_pool_placement_buildx_is_one_call_asking_no_node(pool, project):
    done = bake(pool, project, check=True, rebuild='always', placement='buildx')
    assert done['placement']['mode'] == 'buildx' and not done['placement']['applied']
    assert done['placement']['nodes_asked'] == {}
    assert done['placement']['calls'] == [{'nodes': [], 'targets': done['stale_targets']}]
    assert done['command'][-len(done['stale_targets']):] == done['stale_targets']


def test_bake_bad_placement_inputs_name_the_option(pool, project):
    before = store_snapshot(pool['store'])
    for args, words in (({'placement': 'nearest'}, ['placement', 'nearest']),
                        ({'placement_timeout': 0}, ['placement_timeout', '0'])):
        found = pool['run']('buildkit_bake', builder=pool['name'], buildx_config=pool['store'],
                            working_dir=project['root'], files=['docker-bake.hcl'], **args)
        assert found['failed'] and all(w in found['msg'] for w in words), found
    assert store_snapshot(pool['store']) == before

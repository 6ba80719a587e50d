"""Placement (pure): pools, rendezvous order, distribution, stability, minimal movement, failover choice."""
import collections

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._build import placement as pl

BUILDS = [pl.identity('/srv/app%d' % i, 'Dockerfile', 't%d' % (i % 3)) for i in range(600)]


def keys(builder='pool', platform='linux/amd64'):
    return [pl.placement_key(builder, ident, platform) for ident in BUILDS]


def test_identity_ignores_content_and_key_changes_with_each_part():
    assert pl.identity('/a', 'Dockerfile', None) == pl.identity('/a', 'Dockerfile', '')
    key = pl.placement_key('Pool', pl.identity('/a', 'Dockerfile', 'x'), 'linux/amd64')
    assert key == pl.placement_key('pool', pl.identity('/a', 'Dockerfile', 'x'), 'linux/amd64')  # buildx lowercases
    for other in (pl.placement_key('pool2', pl.identity('/a', 'Dockerfile', 'x'), 'linux/amd64'),
                  pl.placement_key('pool', pl.identity('/b', 'Dockerfile', 'x'), 'linux/amd64'),
                  pl.placement_key('pool', pl.identity('/a', 'Dockerfile.b', 'x'), 'linux/amd64'),
                  pl.placement_key('pool', pl.identity('/a', 'Dockerfile', 'y'), 'linux/amd64'),
                  pl.placement_key('pool', pl.identity('/a', 'Dockerfile', 'x'), 'linux/arm64')):
        assert other != key


def test_order_is_stable_and_a_permutation():
    nodes = ['a', 'b', 'c']
    for key in keys()[:50]:
        first = pl.order(key, nodes)
        assert sorted(first) == nodes
        assert pl.order(key, list(reversed(nodes))) == first  # store order does not matter
        assert pl.order(key, nodes) == first


def test_known_weight_is_fixed():
    # a change of the hash would move every build of every fleet: pin it
    assert pl.weight('k', 'n') == int('%016x' % pl.weight('k', 'n'), 16)
    assert pl.order('pool\n/srv/app\nDockerfile\n\nlinux/amd64', ['a', 'b']) == \
        pl.order('pool\n/srv/app\nDockerfile\n\nlinux/amd64', ['b', 'a'])


def test_distribution_is_even():
    for nodes in (['a', 'b'], ['a', 'b', 'c'], ['n%d' % i for i in range(5)]):
        counts = collections.Counter(pl.order(key, nodes)[0] for key in keys())
        expected = len(BUILDS) / len(nodes)
        assert set(counts) == set(nodes)
        assert all(abs(c - expected) < expected * 0.25 for c in counts.values()), counts


def test_adding_a_node_moves_only_builds_to_it():
    before = dict((key, pl.order(key, ['a', 'b'])[0]) for key in keys())
    after = dict((key, pl.order(key, ['a', 'b', 'c'])[0]) for key in keys())
    moved = [key for key in before if before[key] != after[key]]
    assert moved and all(after[key] == 'c' for key in moved)
    assert abs(len(moved) - len(BUILDS) / 3) < len(BUILDS) / 3 * 0.25


def test_removing_a_node_moves_only_its_builds_to_their_second_choice():
    three = dict((key, pl.order(key, ['a', 'b', 'c'])) for key in keys())
    two = dict((key, pl.order(key, ['a', 'b'])[0]) for key in keys())
    for key, ordered in three.items():
        if ordered[0] != 'c':
            assert two[key] == ordered[0]
        else:
            assert two[key] == ordered[1]  # failover order = where it goes when the node leaves


def test_pool_declared_native_emulated_unknown():
    nodes = [{'name': 'arm', 'platforms': ['linux/arm64']}, {'name': 'a', 'platforms': []},
             {'name': 'b', 'platforms': []}, {'name': 'c', 'platforms': []}]
    reported = {'a': ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/386'],
                'b': ['linux/amd64', 'linux/arm64'], 'c': None}
    assert pl.pool(nodes, 'linux/arm64', reported) == (['arm'], 'declared')
    assert pl.pool(nodes, 'linux/amd64', reported) == (['a', 'b', 'c'], 'native')
    assert pl.pool(nodes, 'linux/amd64/v2', reported) == (['a', 'c'], 'native')
    assert pl.pool(nodes, 'linux/386', reported) == (['a', 'c'], 'emulated')
    assert pl.pool(nodes, 'linux/s390x', reported) == (['c'], 'native')
    reported['c'] = ['linux/amd64']
    assert pl.pool(nodes, 'linux/s390x', reported) == ([], 'none')
    assert pl.pool(nodes[:1], 'linux/amd64', {}) == ([], 'none')


def test_serves_and_native():
    assert pl.serves(['linux/amd64/v3'], 'linux/amd64')
    assert not pl.serves(['linux/amd64'], 'linux/amd64/v3')
    assert pl.serves(['linux/arm/v7'], 'linux/arm/v7') and not pl.serves(['linux/arm/v6'], 'linux/arm/v7')
    assert pl.native(['linux/amd64', 'linux/arm64'], 'linux/amd64/v2') and not pl.native(['linux/amd64'], 'linux/arm64')
    assert not pl.native([], 'linux/amd64')


def test_choose_affinity_failover_boot():
    assert pl.choose(['a'], {'a': pl.HEALTHY}) == ('a', pl.ONLY_NODE, [])
    assert pl.choose(['a', 'b'], {'a': pl.HEALTHY, 'b': pl.HEALTHY}) == ('a', pl.AFFINITY, [])
    node, reason, skipped = pl.choose(['a', 'b', 'c'], {'a': 'stopped', 'b': 'unreachable: no socket', 'c': pl.HEALTHY})
    assert (node, reason) == ('c', pl.FAILOVER)
    assert skipped == [{'node': 'a', 'state': 'stopped'}, {'node': 'b', 'state': 'unreachable: no socket'}]
    # nobody healthy: the first bootable node in hash order is booted, as buildx would
    node, reason, skipped = pl.choose(['a', 'b', 'c'], {'a': 'timeout', 'b': 'stopped', 'c': 'inactive'})
    assert (node, reason, skipped) == ('b', pl.BOOT, [{'node': 'a', 'state': 'timeout'}])
    assert pl.choose(['a', 'b'], {'a': 'timeout'}) == (None, None, [{'node': 'a', 'state': 'timeout'},
                                                                    {'node': 'b', 'state': 'unknown'}])
    assert pl.choose([], {}) == (None, None, [])


def test_failover_keeps_the_rest_of_the_order():
    # with the affinity node down, builds go to their second choice; the others stay where they were
    nodes = ['a', 'b', 'c']
    for key in keys()[:200]:
        ordered = pl.order(key, nodes)
        health = dict((n, pl.HEALTHY) for n in nodes)
        health['b'] = 'stopped'
        node, reason, _skipped = pl.choose(ordered, health)
        if ordered[0] == 'b':
            assert (node, reason) == (ordered[1], pl.FAILOVER)
        else:
            assert (node, reason) == (ordered[0], pl.AFFINITY)


def test_combined_platform():
    assert pl.combined_platform(['linux/arm64', 'linux/amd64']) == 'linux/amd64,linux/arm64'


def test_step_counts_by_platform_follow_inputs():
    from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as r
    progress = {'vertices': [
        {'digest': 'c1', 'name': '[linux/amd64 1/2] COPY bb-amd64 /bin/busybox', 'cached': True, 'completed': 't'},
        {'digest': 'c2', 'name': '[linux/arm64 1/2] COPY bb-arm64 /bin/busybox', 'started': 't', 'completed': 't'},
        {'digest': 'r1', 'name': '[2/2] RUN x', 'inputs': ['c1'], 'started': 't', 'completed': 't'},
        {'digest': 'r2', 'name': '[2/2] RUN x', 'inputs': ['c2'], 'started': 't', 'completed': 't'},
        {'digest': 'i', 'name': '[internal] load build context', 'started': 't', 'completed': 't'}]}
    found = r.step_counts_by_platform(progress)
    assert found['linux/amd64'] == {'total': 2, 'cached': 1, 'executed': 1, 'pulled': 0}
    assert found['linux/arm64'] == {'total': 2, 'cached': 0, 'executed': 2, 'pulled': 0}
    single = r.step_counts_by_platform({'vertices': progress['vertices'][2:3]})
    assert single == {None: {'total': 1, 'cached': 0, 'executed': 1, 'pulled': 0}}


@pytest.mark.parametrize('bound, problem', [(None, None), (3, None), (0.5, None), (0, "got '0'"), (-2, "got '-2'")])
def test_placement_timeout_must_be_positive(bound, problem):
    from ansible_collections.buildkit.fleet.plugins.module_utils._build.placing import placement_timeout_problem
    found = placement_timeout_problem({'placement_timeout': bound})
    assert (found is None) if problem is None else (problem in found and found.startswith('placement_timeout:'))

from ansible_collections.buildkit.fleet.plugins.module_utils._cache.state_volumes import select_orphans, store_node_names


VOLUMES = ['buildx_buildkit_ci0_state', 'buildx_buildkit_old0_state', 'buildx_buildkit_used0_state',
           'buildx_buildkit_Mixed0_state', 'other_volume', 'buildx_buildkit_ci-gone0_state', 'buildx_buildkit_x']


def names(orphans):
    return [o['name'] for o in orphans]


def test_orphan_needs_no_store_node_and_no_container():
    orphans = select_orphans(VOLUMES, ['ci0', 'mixed0'], {'buildx_buildkit_used0_state'})
    assert names(orphans) == ['buildx_buildkit_ci-gone0_state', 'buildx_buildkit_old0_state']
    assert orphans[1]['node'] == 'old0'


def test_pattern_restricts_by_node_name():
    orphans = select_orphans(VOLUMES, ['ci0'], set(), pattern='ci-*')
    assert names(orphans) == ['buildx_buildkit_ci-gone0_state']
    assert select_orphans(VOLUMES, ['ci0'], set(), pattern='nomatch*') == []


def test_store_node_case_insensitive_match():
    # buildx lower-cases default node names; a stored mixed-case node still protects its volume
    assert 'buildx_buildkit_Mixed0_state' not in names(select_orphans(VOLUMES, ['Mixed0'], set()))
    assert 'buildx_buildkit_Mixed0_state' not in names(select_orphans(VOLUMES, ['mixed0'], set()))


class FakeStore(object):
    def __init__(self, groups):
        self.groups = groups

    def names(self):
        return sorted(self.groups)

    def read(self, name):
        value = self.groups[name]
        if isinstance(value, Exception):
            raise value
        return value


def test_store_node_names_include_every_node_and_unreadable_entries():
    store = FakeStore({'a': {'nodes': [{'name': 'a0'}, {'name': 'arm'}]}, 'broken': ValueError('not json')})
    assert store_node_names(store) == ['a0', 'arm', 'broken0']

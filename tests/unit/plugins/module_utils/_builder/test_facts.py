from ansible_collections.buildkit.fleet.plugins.module_utils._node.container import container_status
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.facts import last_activity
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore


def test_container_status_words_are_buildx_ones():
    assert container_status(None) == 'inactive'
    assert container_status({'State': {'Running': True}}) == 'running'
    assert container_status({'State': {'Running': False, 'Status': 'exited'}}) == 'stopped'
    assert container_status({'State': {'Running': False, 'Status': 'created'}}) == 'stopped'


def test_last_activity_reads_buildx_activity_file(tmp_path):
    store = BuildxStore(str(tmp_path))
    (tmp_path / 'activity').mkdir()
    assert last_activity(store, 'ci') is None
    (tmp_path / 'activity' / 'ci').write_text('2026-11-28T08:17:24+01:00')
    assert last_activity(store, 'ci') == '2026-11-28T07:17:24Z'
    (tmp_path / 'activity' / 'lower').write_text('2026-11-28T07:17:24.5Z')
    assert last_activity(store, 'LOWER') == '2026-11-28T07:17:24Z'
    (tmp_path / 'activity' / 'bad').write_text('yesterday')
    assert last_activity(store, 'bad') is None

import os

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._cache import du
from ansible_collections.buildkit.fleet.plugins.module_utils._node import workers as wk
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError

# Real `buildctl du --format '{{json .}}'` output of BuildKit v0.32.2 after a FROM scratch + 2 COPY build.
with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'buildctl_du.json')) as _handle:
    DU = _handle.read()


def test_parse_du_and_summary():
    records = du.parse_du(DU)
    assert [r['id'] for r in records] == ['26q40', 'qm7wh', '35euh', 'busy1', 'fe1']
    assert records[1]['parents'] == ['35euh'] and records[0]['parents'] == []
    summary = du.summarize(records)
    assert summary['total'] == 4096 + 2007040 + 3006464 + 1000 + 700
    assert summary['reclaimable'] == summary['total'] - 1000
    assert summary['shared'] == 700 and summary['private'] == summary['total'] - 700
    assert summary['records'] == 5
    assert summary['by_type']['regular'] == {'records': 2, 'total': 5013504, 'reclaimable': 5013504}
    assert summary['by_type']['exec.cachemount'] == {'records': 1, 'total': 1000, 'reclaimable': 0}


@pytest.mark.parametrize('text', ['null', '', '  null\n', '[]'])
def test_empty_cache(text):
    assert du.parse_du(text) == []
    assert du.summarize([])['total'] == 0


@pytest.mark.parametrize('text', ['{"a":1}', 'Reclaimable: 0B'])
def test_du_garbage_is_an_error(text):
    with pytest.raises(CacheError):
        du.parse_du(text)


def test_debug_info_and_df():
    assert wk.parse_debug_info('{"buildkitVersion":{"version":"v0.32.2"}}') == 'v0.32.2'
    assert wk.parse_debug_info('nope') is None
    df = 'Filesystem 1024-blocks Used Available Capacity Mounted on\noverlay 1000 10 900 2% /var/lib/buildkit\n'
    assert du.parse_df_free(df) == 900 * 1024
    assert du.parse_df_free('') is None
    assert du.parse_statfs_free('62122935 4096\n') == 62122935 * 4096
    assert du.parse_statfs_free('stat: bad') is None

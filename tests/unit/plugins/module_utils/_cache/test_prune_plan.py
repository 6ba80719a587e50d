import os

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._cache import du
from ansible_collections.buildkit.fleet.plugins.module_utils._cache import prune as pr
from ansible_collections.buildkit.fleet.plugins.module_utils._common import times as tm
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError

# Real `buildctl du --format '{{json .}}'` output of BuildKit v0.32.2 after a FROM scratch + 2 COPY build.
with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'buildctl_du.json')) as _handle:
    DU = _handle.read()


def opts(**kwargs):
    base = {'filters': [], 'keep_duration': 0, 'reserved_space': 0, 'max_used_space': 0, 'min_free_space': 0,
            'all': False}
    base.update(kwargs)
    return base


def test_parse_prune_lines():
    out = ('{"id":"a","size":10,"recordType":"regular","inUse":false}\n\n'
           '{"id":"b","size":-1,"recordType":"source.local"}\n')
    records = pr.parse_prune(out)
    assert [(r['id'], r['type'], r['size']) for r in records] == [('a', 'regular', 10), ('b', 'source.local', -1)]
    # BuildKit's prune answer has no record type: it comes from a du taken before, else 'unknown'
    bare = '{"id":"x","size":5}\n{"id":"y","size":6}\n'
    assert [r['type'] for r in pr.parse_prune(bare, {'x': 'exec.cachemount'})] == ['exec.cachemount', 'unknown']
    assert pr.parse_prune('') == []
    with pytest.raises(CacheError):
        pr.parse_prune('Total: 0B')


def test_estimate_skips_in_use_internal_and_shared_without_all():
    records = du.parse_du(DU)
    ids = [r['id'] for r in pr.estimate_prune(records, records, opts(), now=2e9)]
    assert ids == ['26q40', 'qm7wh', '35euh']
    ids = [r['id'] for r in pr.estimate_prune(records, records, opts(all=True), now=2e9)]
    assert ids == ['26q40', 'qm7wh', '35euh', 'fe1']


def test_estimate_keep_duration():
    records = du.parse_du(DU)
    used = tm.parse_time('2026-11-28T07:17:25.365Z')
    kept_recent = pr.estimate_prune(records, records, opts(keep_duration=3600 * 10 ** 9), now=used + 60)
    # records used within the hour stay; records never used (no lastUsedAt) go
    assert [r['id'] for r in kept_recent] == []
    later = pr.estimate_prune(records, records, opts(keep_duration=3600 * 10 ** 9), now=used + 7200)
    assert len(later) == 3


def test_estimate_max_used_space_removes_least_recently_used_first():
    records = du.parse_du(DU)
    total = sum(r['size'] for r in records if not r['shared'])
    removed = pr.estimate_prune(records, records, opts(max_used_space=total - 5000), now=2e9)
    assert [r['id'] for r in removed] == ['35euh']  # the least recently used first, then stop below the cap
    removed = pr.estimate_prune(records, records, opts(max_used_space=total - 3006464), now=2e9)
    assert [r['id'] for r in removed] == ['35euh', 'qm7wh']  # at the cap is not below it: one more goes
    assert pr.estimate_prune(records, records, opts(max_used_space=total + 1), now=2e9) == []


def test_keep_bytes_matches_buildkit():
    base = opts()
    assert pr.keep_bytes(1000, 0, base) == 0
    assert pr.keep_bytes(1000, 0, opts(max_used_space=600)) == 600
    assert pr.keep_bytes(1000, 0, opts(max_used_space=600, reserved_space=800)) == 800
    assert pr.keep_bytes(1000, 100, opts(min_free_space=300)) == 800  # 200 bytes short
    assert pr.keep_bytes(1000, 500, opts(min_free_space=300)) == 1000  # enough free: keep all


def test_min_free_space_already_satisfied_skips_the_prune():
    assert pr.min_free_satisfied(opts(min_free_space=100), 100) is True
    assert pr.min_free_satisfied(opts(min_free_space=100, reserved_space=5), 1000) is True
    assert pr.min_free_satisfied(opts(min_free_space=100), 99) is False
    assert pr.min_free_satisfied(opts(min_free_space=100, max_used_space=10), 1000) is False  # the cap still applies
    assert pr.min_free_satisfied(opts(), 1000) is False

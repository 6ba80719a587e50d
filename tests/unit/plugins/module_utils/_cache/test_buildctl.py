import json

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._cache import buildctl as c
from ansible_collections.buildkit.fleet.plugins.module_utils._cache.buildctl import CacheError

# Real `buildctl du --format '{{json .}}'` output of BuildKit v0.32.2 after a FROM scratch + 2 COPY build.
DU = ('[{"id":"26q40","mutable":true,"inUse":false,"size":4096,"createdAt":"2026-11-28T07:17:25.093373797Z",'
      '"lastUsedAt":"2026-11-28T07:17:25.366041023Z","usageCount":1,"parents":null,'
      '"description":"local source for context","recordType":"source.local","shared":false},'
      '{"id":"qm7wh","mutable":true,"inUse":false,"size":2007040,"createdAt":"2026-11-28T07:17:25.217985531Z",'
      '"lastUsedAt":"2026-11-28T07:17:25.36541445Z","usageCount":1,"parents":["35euh"],'
      '"description":"[2/2] COPY b.bin /b.bin","recordType":"regular","shared":false},'
      '{"id":"35euh","mutable":false,"inUse":false,"size":3006464,"createdAt":"2026-11-28T07:17:25.212316547Z",'
      '"lastUsedAt":"2026-11-28T07:17:25.364437876Z","usageCount":1,"parents":null,'
      '"description":"[1/2] COPY a.bin /a.bin","recordType":"regular","shared":false},'
      '{"id":"busy1","mutable":true,"inUse":true,"size":1000,"recordType":"exec.cachemount","shared":false},'
      '{"id":"fe1","mutable":false,"inUse":false,"size":700,"recordType":"frontend","shared":true}]')

WORKERS = json.loads(
    '[{"id":"s263","labels":{"org.mobyproject.buildkit.worker.executor":"oci"},'
    '"platforms":[{"architecture":"amd64","os":"linux"},{"architecture":"amd64","os":"linux","variant":"v2"},'
    '{"architecture":"arm","os":"linux","variant":"v7"}],'
    '"gcPolicy":[{"all":false,"filter":["type==source.local"],"keepDuration":172800000000000,"reservedSpace":0,'
    '"maxUsedSpace":512000000,"minFreeSpace":0},{"all":true,"filter":null,"keepDuration":0,'
    '"reservedSpace":10000000000,"maxUsedSpace":100000000000,"minFreeSpace":51000000000}],'
    '"buildkitVersion":{"package":"github.com/moby/buildkit","version":"v0.32.2","revision":"v0.32.2"},'
    '"cdiDevices":null}]')


def opts(**kwargs):
    base = {'filters': [], 'keep_duration': 0, 'reserved_space': 0, 'max_used_space': 0, 'min_free_space': 0,
            'all': False}
    base.update(kwargs)
    return base


def test_parse_du_and_summary():
    records = c.parse_du(DU)
    assert [r['id'] for r in records] == ['26q40', 'qm7wh', '35euh', 'busy1', 'fe1']
    assert records[1]['parents'] == ['35euh'] and records[0]['parents'] == []
    summary = c.summarize(records)
    assert summary['total'] == 4096 + 2007040 + 3006464 + 1000 + 700
    assert summary['reclaimable'] == summary['total'] - 1000
    assert summary['shared'] == 700 and summary['private'] == summary['total'] - 700
    assert summary['records'] == 5
    assert summary['by_type']['regular'] == {'records': 2, 'total': 5013504, 'reclaimable': 5013504}
    assert summary['by_type']['exec.cachemount'] == {'records': 1, 'total': 1000, 'reclaimable': 0}


@pytest.mark.parametrize('text', ['null', '', '  null\n', '[]'])
def test_empty_cache(text):
    assert c.parse_du(text) == []
    assert c.summarize([])['total'] == 0


@pytest.mark.parametrize('text', ['{"a":1}', 'Reclaimable: 0B'])
def test_du_garbage_is_an_error(text):
    with pytest.raises(CacheError):
        c.parse_du(text)


def test_parse_prune_lines():
    out = ('{"id":"a","size":10,"recordType":"regular","inUse":false}\n\n'
           '{"id":"b","size":-1,"recordType":"source.local"}\n')
    records = c.parse_prune(out)
    assert [(r['id'], r['type'], r['size']) for r in records] == [('a', 'regular', 10), ('b', 'source.local', -1)]
    # BuildKit's prune answer has no record type: it comes from a du taken before, else 'unknown'
    bare = '{"id":"x","size":5}\n{"id":"y","size":6}\n'
    assert [r['type'] for r in c.parse_prune(bare, {'x': 'exec.cachemount'})] == ['exec.cachemount', 'unknown']
    assert c.parse_prune('') == []
    with pytest.raises(CacheError):
        c.parse_prune('Total: 0B')


@pytest.mark.parametrize('text,expected', [
    ('10g', 10 << 30), ('512MiB', 512 << 20), ('1.5g', int(1.5 * (1 << 30))), ('1024', 1024), ('2 kb', 2048),
    (0, 0), (4096, 4096),
])
def test_sizes(text, expected):
    assert c.parse_size(text, 'keep_storage') == expected


@pytest.mark.parametrize('text', ['10x', '', '-1', 'g', '4gibi', True, -5])
def test_bad_sizes_name_the_option(text):
    with pytest.raises(CacheError) as err:
        c.parse_size(text, 'max_used_space')
    assert 'max_used_space' in str(err.value)


@pytest.mark.parametrize('text,seconds', [
    ('24h', 86400), ('1h30m', 5400), ('45m', 2700), ('90s', 90), ('7d', 7 * 86400), ('1.5h', 5400), ('3600', 3600),
    (120, 120),
])
def test_durations(text, seconds):
    assert c.parse_duration(text, 'filters.until') == seconds * 10 ** 9


@pytest.mark.parametrize('text', ['abc', '1w', '-1h', '24 h', '1h-'])
def test_bad_durations(text):
    with pytest.raises(CacheError) as err:
        c.parse_duration(text, 'filters.until')
    assert 'filters.until' in str(err.value)


@pytest.mark.parametrize('ns,text', [
    (86400 * 10 ** 9, '24h0m0s'), (5400 * 10 ** 9, '1h30m0s'), (45 * 10 ** 9, '45s'), (1500, '1500ns'),
    (61 * 10 ** 9, '1m1s'),
])
def test_go_duration(ns, text):
    assert c.go_duration(ns) == text


def test_type_filters_are_ored_and_expressions_anded():
    assert c.filter_expressions({'type': ['regular', 'source.local'], 'expressions': ['description~=COPY']}) == [
        'type==regular,description~=COPY', 'type==source.local,description~=COPY']
    assert c.filter_expressions({'expressions': ['id==abc', 'mutable']}) == ['id==abc,mutable']
    assert c.filter_expressions({}) == [] and c.filter_expressions(None) == []


@pytest.mark.parametrize('filters', [{'type': ['bogus']}, {'expressions': ['a==b,c==d']}, {'expressions': ['==x']},
                                     {'expressions': ['colour==red']}, {'expressions': ['mutable==x']}])
def test_bad_filters(filters):
    with pytest.raises(CacheError):
        c.filter_expressions(filters)


def test_prune_argv_maps_buildx_options_to_buildctl_flags():
    params = {'filters': {'type': ['regular'], 'until': '24h'}, 'keep_storage': '1g', 'max_used_space': '10g',
              'min_free_space': '512m', 'all': True}
    normalized = c.prune_options(params)
    assert normalized['reserved_space'] == 1 << 30 and normalized['max_used_space'] == 10 << 30
    argv = c.prune_argv(normalized)
    assert argv[:4] == ['buildctl', 'prune', '--format', '{{json .}}']
    pairs = dict(zip(argv[4::2], argv[5::2]))
    assert pairs['--filter'] == 'type==regular'
    assert pairs['--keep-duration'] == '24h0m0s'
    # buildctl: --keep-storage-min is reserved space, --keep-storage max used space, --free-storage min free space,
    # all in MB (1e6) floats that it truncates after *1e6: the exact byte count must survive.
    for flag, nbytes in (('--keep-storage-min', 1 << 30), ('--keep-storage', 10 << 30), ('--free-storage', 512 << 20)):
        assert int(float(pairs[flag]) * 1e6) == nbytes
    assert argv[-1] == '--all'


def test_prune_argv_minimal():
    assert c.prune_argv(c.prune_options({})) == ['buildctl', 'prune', '--format', '{{json .}}']
    assert c.du_argv(['type==regular']) == ['buildctl', 'du', '--format', '{{json .}}', '--filter', 'type==regular']


def test_megabytes_exact_for_many_sizes():
    for nbytes in (1, 999, 10 ** 6, 123456789, 1 << 40, (1 << 40) + 1, 7 * 1024 ** 3 + 3):
        assert int(float(c._megabytes(nbytes)) * 1e6) == nbytes


def test_estimate_skips_in_use_internal_and_shared_without_all():
    records = c.parse_du(DU)
    ids = [r['id'] for r in c.estimate_prune(records, records, opts(), now=2e9)]
    assert ids == ['26q40', 'qm7wh', '35euh']
    ids = [r['id'] for r in c.estimate_prune(records, records, opts(all=True), now=2e9)]
    assert ids == ['26q40', 'qm7wh', '35euh', 'fe1']


def test_estimate_keep_duration():
    records = c.parse_du(DU)
    used = c.parse_time('2026-11-28T07:17:25.365Z')
    kept_recent = c.estimate_prune(records, records, opts(keep_duration=3600 * 10 ** 9), now=used + 60)
    # records used within the hour stay; records never used (no lastUsedAt) go
    assert [r['id'] for r in kept_recent] == []
    later = c.estimate_prune(records, records, opts(keep_duration=3600 * 10 ** 9), now=used + 7200)
    assert len(later) == 3


def test_estimate_max_used_space_removes_least_recently_used_first():
    records = c.parse_du(DU)
    total = sum(r['size'] for r in records if not r['shared'])
    removed = c.estimate_prune(records, records, opts(max_used_space=total - 5000), now=2e9)
    assert [r['id'] for r in removed] == ['35euh']  # the least recently used first, then stop below the cap
    removed = c.estimate_prune(records, records, opts(max_used_space=total - 3006464), now=2e9)
    assert [r['id'] for r in removed] == ['35euh', 'qm7wh']  # at the cap is not below it: one more goes
    assert c.estimate_prune(records, records, opts(max_used_space=total + 1), now=2e9) == []


def test_keep_bytes_matches_buildkit():
    base = opts()
    assert c.keep_bytes(1000, 0, base) == 0
    assert c.keep_bytes(1000, 0, opts(max_used_space=600)) == 600
    assert c.keep_bytes(1000, 0, opts(max_used_space=600, reserved_space=800)) == 800
    assert c.keep_bytes(1000, 100, opts(min_free_space=300)) == 800  # 200 bytes short
    assert c.keep_bytes(1000, 500, opts(min_free_space=300)) == 1000  # enough free: keep all


def test_parse_time_and_format():
    assert c.parse_time('2026-11-28T07:17:24Z') == c.parse_time('2026-11-28T08:17:24+01:00')
    assert c.format_time(c.parse_time('2026-11-28T07:17:24.123456789Z')) == '2026-11-28T07:17:24Z'
    assert c.parse_time('garbage') is None and c.parse_time(None) is None


def test_worker_facts_and_gc_policy():
    facts = c.worker_facts(WORKERS)
    assert facts['platforms'] == ['linux/amd64', 'linux/amd64/v2', 'linux/arm/v7']
    assert facts['worker_labels'] == {'org.mobyproject.buildkit.worker.executor': 'oci'}
    assert facts['buildkit_version'] == 'v0.32.2'
    assert facts['gc_policy'] == [
        {'all': False, 'filters': ['type==source.local'], 'keep_duration': 172800, 'reserved_space': 0,
         'max_used_space': 512000000, 'min_free_space': 0},
        {'all': True, 'filters': [], 'keep_duration': 0, 'reserved_space': 10000000000,
         'max_used_space': 100000000000, 'min_free_space': 51000000000}]
    assert c.worker_facts([])['platforms'] == []


def test_gc_policy_of_buildkit_before_0_17_uses_keep_bytes():
    assert c.parse_gc_policy([{'all': True, 'keepBytes': 42, 'keepDuration': 0}])[0]['reserved_space'] == 42


def test_debug_info_and_df():
    assert c.parse_debug_info('{"buildkitVersion":{"version":"v0.32.2"}}') == 'v0.32.2'
    assert c.parse_debug_info('nope') is None
    df = 'Filesystem 1024-blocks Used Available Capacity Mounted on\noverlay 1000 10 900 2% /var/lib/buildkit\n'
    assert c.parse_df_free(df) == 900 * 1024
    assert c.parse_df_free('') is None
    assert c.parse_statfs_free('62122935 4096\n') == 62122935 * 4096
    assert c.parse_statfs_free('stat: bad') is None


def test_min_free_space_already_satisfied_skips_the_prune():
    assert c.min_free_satisfied(opts(min_free_space=100), 100) is True
    assert c.min_free_satisfied(opts(min_free_space=100, reserved_space=5), 1000) is True
    assert c.min_free_satisfied(opts(min_free_space=100), 99) is False
    assert c.min_free_satisfied(opts(min_free_space=100, max_used_space=10), 1000) is False  # the cap still applies
    assert c.min_free_satisfied(opts(), 1000) is False

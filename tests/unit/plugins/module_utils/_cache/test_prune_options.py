import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._cache import du
from ansible_collections.buildkit.fleet.plugins.module_utils._cache import prune_options as po
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError


def test_bad_size_options_are_cache_errors_naming_the_option():
    with pytest.raises(CacheError) as err:
        po.prune_options({'max_used_space': '10x'})
    assert "max_used_space: invalid size '10x'" in str(err.value)


@pytest.mark.parametrize('text,seconds', [
    ('24h', 86400), ('1h30m', 5400), ('45m', 2700), ('90s', 90), ('7d', 7 * 86400), ('1.5h', 5400), ('3600', 3600),
    (120, 120),
])
def test_durations(text, seconds):
    assert po.parse_duration(text, 'filters.until') == seconds * 10 ** 9


@pytest.mark.parametrize('text', ['abc', '1w', '-1h', '24 h', '1h-'])
def test_bad_durations(text):
    with pytest.raises(CacheError) as err:
        po.parse_duration(text, 'filters.until')
    assert 'filters.until' in str(err.value)


@pytest.mark.parametrize('ns,text', [
    (86400 * 10 ** 9, '24h0m0s'), (5400 * 10 ** 9, '1h30m0s'), (45 * 10 ** 9, '45s'), (1500, '1500ns'),
    (61 * 10 ** 9, '1m1s'),
])
def test_go_duration(ns, text):
    assert po.go_duration(ns) == text


def test_type_filters_are_ored_and_expressions_anded():
    assert po.filter_expressions({'type': ['regular', 'source.local'], 'expressions': ['description~=COPY']}) == [
        'type==regular,description~=COPY', 'type==source.local,description~=COPY']
    assert po.filter_expressions({'expressions': ['id==abc', 'mutable']}) == ['id==abc,mutable']
    assert po.filter_expressions({}) == [] and po.filter_expressions(None) == []


@pytest.mark.parametrize('filters', [{'type': ['bogus']}, {'expressions': ['a==b,c==d']}, {'expressions': ['==x']},
                                     {'expressions': ['colour==red']}, {'expressions': ['mutable==x']}])
def test_bad_filters(filters):
    with pytest.raises(CacheError):
        po.filter_expressions(filters)


def test_prune_argv_maps_buildx_options_to_buildctl_flags():
    params = {'filters': {'type': ['regular'], 'until': '24h'}, 'keep_storage': '1g', 'max_used_space': '10g',
              'min_free_space': '512m', 'all': True}
    normalized = po.prune_options(params)
    assert normalized['reserved_space'] == 1 << 30 and normalized['max_used_space'] == 10 << 30
    argv = po.prune_argv(normalized)
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
    assert po.prune_argv(po.prune_options({})) == ['buildctl', 'prune', '--format', '{{json .}}']
    assert du.du_argv(['type==regular']) == ['buildctl', 'du', '--format', '{{json .}}', '--filter', 'type==regular']


def test_megabytes_exact_for_many_sizes():
    for nbytes in (1, 999, 10 ** 6, 123456789, 1 << 40, (1 << 40) + 1, 7 * 1024 ** 3 + 3):
        assert int(float(po._megabytes(nbytes)) * 1e6) == nbytes

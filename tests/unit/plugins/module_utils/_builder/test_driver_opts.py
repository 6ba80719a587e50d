import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import driver_opts as d
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.driver_opts import SpecError


@pytest.mark.parametrize('text,expected', [
    ('4g', 4 << 30), ('4GB', 4 << 30), ('4GiB', 4 << 30), ('512m', 512 << 20), ('512MiB', 512 << 20),
    ('1.5g', int(1.5 * (1 << 30))), ('1024', 1024), ('10k', 10240), ('2 t', 2 << 40), ('1b', 1),
])
def test_sizes_follow_go_units(text, expected):
    assert d.parse_size(text, 'memory') == expected


@pytest.mark.parametrize('text', ['4x', '', '-5', 'g', '4gibi', '1..2g'])
def test_bad_sizes_name_option_and_value(text):
    with pytest.raises(SpecError) as err:
        d.parse_size(text, 'memory')
    assert 'driver_opts.memory' in str(err.value) and "'%s'" % text in str(err.value)


def test_memory_swap_accepts_unlimited():
    assert d.parse_size('-1', 'memory_swap', allow_unlimited=True) == -1


@pytest.mark.parametrize('text,expected', [
    ('always', {'Name': 'always', 'MaximumRetryCount': 0}),
    ('on-failure:3', {'Name': 'on-failure', 'MaximumRetryCount': 3}),
    ('', {'Name': 'no', 'MaximumRetryCount': 0}),
])
def test_restart_policy(text, expected):
    assert d.parse_restart_policy(text) == expected


@pytest.mark.parametrize('text', ['sometimes', 'on-failure:x', ':3', 'always:2'])
def test_bad_restart_policy(text):
    with pytest.raises(SpecError) as err:
        d.parse_restart_policy(text)
    assert 'driver_opts.restart_policy' in str(err.value) and text in str(err.value)


def test_to_buildx_uses_buildx_spelling_and_strings():
    opts = d.to_buildx({'memory': '4g', 'memory_swap': '6g', 'cpu_quota': 50000, 'default_load': True,
                        'env': {'http_proxy': 'http://p:3128'}, 'image': None})
    assert opts == {'memory': '4g', 'memory-swap': '6g', 'cpu-quota': '50000', 'default-load': 'true',
                    'env.http_proxy': 'http://p:3128'}


@pytest.mark.parametrize('key', ['A=B', '', ' '])
def test_bad_env_names(key):
    with pytest.raises(SpecError) as err:
        d.to_buildx({'env': {key: 'x'}})
    assert 'driver_opts.env' in str(err.value)


def test_parse_defaults_match_buildx():
    typed = d.parse({})
    assert typed['image'] == 'moby/buildkit:buildx-stable-1'
    assert typed['restart_policy'] == {'Name': 'unless-stopped', 'MaximumRetryCount': 0}
    assert typed['cgroup_parent'] == '/docker/buildx'
    assert typed['default_load'] is False


@pytest.mark.parametrize('opts,fragment', [
    ({'cpu-quota': 'abc'}, "driver_opts.cpu_quota: invalid integer 'abc'"),
    ({'memory-swap': '1g'}, 'driver_opts.memory_swap'),
    ({'memory': '1k'}, 'driver_opts.memory'),
    ({'memory': '1g', 'memory-swap': '512m'}, 'smaller than driver_opts.memory'),
    ({'cpuset-cpus': 'a-b'}, "driver_opts.cpuset_cpus: invalid CPU set 'a-b'"),
    ({'bogus': '1'}, "unknown docker-container driver option 'bogus'"),
    ({'default-load': 'maybe'}, "driver_opts.default_load: invalid boolean 'maybe'"),
])
def test_parse_errors(opts, fragment):
    with pytest.raises(SpecError) as err:
        d.parse(opts)
    assert fragment in str(err.value)


def test_store_spelling_and_typed_values_compare_semantically():
    assert d.parse({'memory': '4g'}) == d.parse({'memory': '4096m'})


def test_a_buildx_spelling_names_the_option_to_use():
    with pytest.raises(SpecError) as err:
        d.to_buildx({'memory-swap': '2g'})
    assert str(err.value) == "driver_opts: 'memory-swap' is the buildx spelling; the option is memory_swap"


def test_unknown_option_names_it():
    with pytest.raises(SpecError) as err:
        d.to_buildx({'memroy': '1g'})
    assert "unknown option 'memroy'" in str(err.value)

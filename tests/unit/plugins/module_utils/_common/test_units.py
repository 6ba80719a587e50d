import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common import units
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError


@pytest.mark.parametrize('text,expected', [
    ('10g', 10 << 30), ('512MiB', 512 << 20), ('1.5g', int(1.5 * (1 << 30))), ('1024', 1024), ('2 kb', 2048),
    (0, 0), (4096, 4096),
])
def test_sizes(text, expected):
    assert units.parse_size(text, 'keep_storage') == expected


@pytest.mark.parametrize('text', ['10x', '', '-1', 'g', '4gibi', True, -5])
def test_bad_sizes_name_the_option(text):
    with pytest.raises(SpecError) as err:
        units.parse_size(text, 'max_used_space')
    assert 'max_used_space' in str(err.value)


def test_unlimited_only_where_allowed():
    assert units.parse_size('-1', 'driver_opts.memory_swap', allow_unlimited=True) == -1
    with pytest.raises(SpecError):
        units.parse_size('-1', 'driver_opts.memory')

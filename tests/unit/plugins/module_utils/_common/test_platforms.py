import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common import platforms as p
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError


@pytest.mark.parametrize('text,expected', [
    ('linux/amd64', {'architecture': 'amd64', 'os': 'linux'}),
    ('linux/arm64/v8', {'architecture': 'arm64', 'os': 'linux'}),
    ('linux/arm', {'architecture': 'arm', 'os': 'linux', 'variant': 'v7'}),
    ('linux/arm/v6', {'architecture': 'arm', 'os': 'linux', 'variant': 'v6'}),
    ('arm64', {'architecture': 'arm64', 'os': 'linux'}),
    ('linux/x86_64', {'architecture': 'amd64', 'os': 'linux'}),
])
def test_platform_normalisation(text, expected):
    assert p.normalize_platform(text) == expected


def test_one_formatter_for_store_worker_and_normalised_platforms():
    assert p.format_platform({'os': 'linux', 'architecture': 'arm', 'variant': 'v7'}) == 'linux/arm/v7'
    assert p.format_platform(p.normalize_platform('aarch64')) == 'linux/arm64'
    assert p.format_platforms([{'os': 'linux', 'architecture': 'amd64'}] * 2) == ['linux/amd64']
    assert p.normalized_text('armhf') == 'linux/arm/v7'


def test_bad_platform_names_the_option():
    with pytest.raises(SpecError) as err:
        p.normalize_platform('linux/arm/v7/extra')
    assert "platforms: invalid platform 'linux/arm/v7/extra'" in str(err.value)

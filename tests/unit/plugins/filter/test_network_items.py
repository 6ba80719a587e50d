import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.buildkit.fleet.plugins.filter.network_items import network_items
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.network_check import NETWORK_ITEM_OPTIONS


def test_items_get_the_defaults_of_the_one_definition():
    checked = network_items([{'name': 'builders', 'subnet': '10.231.0.0/24', 'mtu': '1450'}])
    assert checked[0]['state'] == 'present' and checked[0]['driver'] == 'bridge' and checked[0]['mtu'] == 1450
    assert set(checked[0]) == set(NETWORK_ITEM_OPTIONS)


@pytest.mark.parametrize('items, words', [
    ([{'name': 'a', 'mtu': 'jumbo'}], ['buildkit_networks[0] (a)', 'mtu', 'jumbo']),
    ([{'name': 'a'}, {'name': 'b', 'state': 'gone'}], ['buildkit_networks[1] (b)', 'state', 'gone']),
    ([{'name': 'a', 'colour': 'red'}], ['buildkit_networks[0] (a)', 'colour']),
    ([{'subnet': '10.0.0.0/24'}], ['buildkit_networks[0]', 'name']),
    ([{'name': 'a'}, {'name': 'a'}], ['buildkit_networks[1] (a)', 'twice']),
    (['a'], ['buildkit_networks[0]', 'dictionary']),
    ('a', ['buildkit_networks', 'list']),
])
def test_bad_items_name_the_item_and_the_option(items, words):
    with pytest.raises(AnsibleFilterError) as err:
        network_items(items)
    assert all(w in str(err.value) for w in words), str(err.value)

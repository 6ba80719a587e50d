from ansible_collections.buildkit.fleet.plugins.module_utils._builder.node_plan import (
    default_node_name, node_entries, plan_endpoints)
from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import builder_platforms

SOCK = 'unix:///var/run/docker.sock'


def test_nodes_are_named_like_buildx():
    assert default_node_name('CI') == 'CI0' and default_node_name('ci', 2) == 'ci2'
    assert node_entries({'name': 'ci', 'platforms': ['linux/arm64']}) == [{'name': 'ci0', 'platforms': ['linux/arm64']}]
    assert node_entries({'name': 'ci'}, stored_names=['old0'])[0]['name'] == 'old0'
    entries = node_entries({'name': 'Fleet', 'nodes': [{'endpoint': 'a'}, {'name': 'arm', 'endpoint': 'b'}]})
    assert [e['name'] for e in entries] == ['Fleet0', 'arm']


def test_endpoints_cover_wanted_and_stored_nodes_with_their_tls():
    params = {'name': 'Fleet', 'nodes': [{'endpoint': 'tcp://a:2376', 'tls': True, 'ca_path': None, 'client_cert': None,
                                          'client_key': None, 'validate_certs': None}]}
    spec = {'nodes': [{'name': 'fleet0', 'endpoint': 'tcp://a:2376'}]}
    stored = {'nodes': [{'name': 'gone1', 'endpoint': SOCK}]}
    endpoints = plan_endpoints(params, spec, stored, SOCK)
    assert endpoints['gone1'] == (SOCK, None)
    assert endpoints['fleet0'][0] == 'tcp://a:2376' and endpoints['fleet0'][1]['tls'] is True
    assert plan_endpoints({'name': 'CI'}, None, None, SOCK) == {'ci0': (SOCK, None)}


def test_platforms_of_a_builder_not_run_by_this_collection_are_its_fixed_ones():
    group = {'driver': 'remote', 'nodes': [
        {'name': 'a', 'endpoint': 'tcp://x', 'platforms': [{'os': 'linux', 'architecture': 'arm64'}]},
        {'name': 'b', 'endpoint': 'tcp://y', 'platforms': [{'os': 'linux', 'architecture': 'arm', 'variant': 'v7'},
                                                           {'os': 'linux', 'architecture': 'arm64'}]}]}
    assert builder_platforms(group, {}) == ['linux/arm64', 'linux/arm/v7']
    assert builder_platforms(None, {}) == []

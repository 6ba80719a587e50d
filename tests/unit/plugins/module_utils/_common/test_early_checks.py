"""Checks before AnsibleModule: list-of-dict items that are not dicts, malformed api_version."""
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import problem

SPEC = {'nodes': {'type': 'list', 'elements': 'dict', 'options': {'name': {}}}, 'api_version': {'type': 'str'}}


def test_dict_items():
    assert problem(SPEC, {'nodes': [{'name': 'a'}]}) is None
    assert problem(SPEC, {'nodes': ['{"name": "a"}', 'name=a']}) is None
    assert problem(SPEC, {'nodes': [{'name': 'a'}, 'x']}) == "nodes[1]: each item must be a dictionary of sub-options, got str 'x'"
    assert problem(SPEC, {'nodes': [3]}).startswith('nodes[0]:')


def test_api_version():
    assert problem(SPEC, {'api_version': 'auto'}) is None
    assert problem(SPEC, {'api_version': '1.41'}) is None
    assert "api_version: 'banana'" in problem(SPEC, {'api_version': 'banana'})

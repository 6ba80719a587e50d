"""Argument failures name the option: list-of-dict items that are not dicts, malformed api_version."""
import json
import os
import subprocess
import sys

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


MODULE = '''
from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import CheckedModule
spec = dict(nodes=dict(type='list', elements='dict', options=dict(name=dict(type='str', required=True),
                                                                  size=dict(type='int', default=1))),
            secrets=dict(type='list', elements='dict', no_log=False, options=dict(value=dict(type='str', no_log=True))),
            count=dict(type='int'), api_version=dict(type='str', default='auto'),
            token=dict(type='str', no_log=True), items=dict(type='list', elements='dict'))
module = CheckedModule(argument_spec=spec, supports_check_mode=True)
module.exit_json(changed=False, params=module.params)
'''


def run_module(tmp_path, args):
    """Run a real AnsibleModule process on `args` as Ansible hands them over (a JSON file argument)."""
    source = tmp_path / 'module.py'
    source.write_text(MODULE)
    args_file = tmp_path / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.pop('DOCKER_API_VERSION', None)
    done = subprocess.run([sys.executable, str(source), str(args_file)], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    return json.loads(done.stdout[done.stdout.index('{'):])


def test_module_names_the_item_that_is_not_a_dict(tmp_path):
    result = run_module(tmp_path, {'nodes': [{'name': 'a'}, 'x']})
    assert result['failed'] and result['msg'] == "nodes[1]: each item must be a dictionary of sub-options, got str 'x'"
    result = run_module(tmp_path, {'items': [{'a': 1}, 'just-a-name']})
    assert result['failed'] and result['msg'] == "items[1]: each item must be a dictionary of sub-options, got str 'just-a-name'"
    result = run_module(tmp_path, {'items': ['a=1', '{"b": 2}']})
    assert not result.get('failed') and result['params']['items'] == [{'a': '1'}, {'b': 2}]
    result = run_module(tmp_path, {'nodes': [3]})
    assert result['failed'] and result['msg'] == "nodes[0]: each item must be a dictionary of sub-options, got int 3"
    result = run_module(tmp_path, {'secrets': [{'value': 'an0ther-s3cr3t'}, 'x']})
    assert result['failed'] and result['msg'] == "secrets[1]: each item must be a dictionary of sub-options, got str 'x'"
    assert 'an0ther-s3cr3t' not in json.dumps(result)


def test_module_names_a_malformed_api_version(tmp_path):
    result = run_module(tmp_path, {'api_version': 'banana'})
    assert result['failed'] and result['msg'].startswith("api_version: 'banana' is not a Docker API version")


def test_module_keeps_core_messages_and_conversions(tmp_path):
    assert "count" in run_module(tmp_path, {'count': 'many'})['msg']
    assert run_module(tmp_path, {'nodes': [{'name': 'a'}, {}]})['msg'] == 'missing required arguments: name found in nodes'
    assert "'size'" in run_module(tmp_path, {'nodes': [{'name': 'a', 'size': 'big'}]})['msg']
    assert 'nodes.colour' in run_module(tmp_path, {'nodes': [{'name': 'a', 'colour': 'red'}]})['msg']
    result = run_module(tmp_path, {'nodes': ['name=a', {'name': 'b', 'size': '2'}], 'count': '3', 'token': 's3cr3t-value',
                                   'secrets': [{'value': 'an0ther-s3cr3t'}]})
    assert not result.get('failed'), result
    assert result['params']['nodes'] == [{'name': 'a', 'size': 1}, {'name': 'b', 'size': 2}] and result['params']['count'] == 3
    assert 's3cr3t-value' not in json.dumps(result) and 'an0ther-s3cr3t' not in json.dumps(result)  # no_log still masks

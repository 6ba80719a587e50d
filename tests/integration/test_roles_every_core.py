"""The builder role on the oldest and the newest ansible-core that meta/runtime.yml allows, each from its own
venv (tests/core_venv.sh, shared with sanity.sh): fresh --check, converge, idempotence, teardown."""
import json
import os
import re
import subprocess
import sys

import pytest

from binfmt_support import COLLECTIONS
from support import TEST_IMAGE, container, remove_builder_traces

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORES = [(os.environ.get('CORE_OLDEST', '2.17'), os.environ.get('PYTHON_OLDEST', '3.11')),
         (os.environ.get('CORE_NEWEST', '2.21'), os.environ.get('PYTHON_NEWEST', '3.12'))]


def core_bin(core, python):
    proc = subprocess.run([os.path.join(REPO, 'tests', 'core_venv.sh'), core, python], capture_output=True, text=True,
                          timeout=1500, check=False)
    assert proc.returncode == 0, 'no venv for ansible-core %s: %s' % (core, proc.stderr[-2000:])
    return os.path.join(proc.stdout.strip(), 'bin')


def playbook(bindir, tmp_path, role_vars, check=False):
    path = tmp_path / 'play.yml'
    path.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'builder role', 'ansible.builtin.include_role': {'name': 'buildkit.fleet.builder'}, 'vars': role_vars}]}]))
    cmd = [os.path.join(bindir, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', str(path),
           '-e', 'ansible_python_interpreter=' + sys.executable] + (['--check'] if check else [])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
                          check=False)
    recap = re.search(r'localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)', proc.stdout)
    assert proc.returncode == 0 and recap and recap.group(2) == '0', proc.stdout[-5000:] + proc.stderr[-2000:]
    return int(recap.group(1)), proc.stdout


@pytest.mark.parametrize('core,python', CORES, ids=['core-%s' % c for c, _p in CORES])
def test_builder_role_on_core(core, python, tmp_path, docker_client):
    bindir = core_bin(core, python)
    tag = 'core%s' % core.replace('.', '')
    net, names = tag + 'net', [tag + 'a', tag + 'b']
    role_vars = {'builder_buildx_config': str(tmp_path / 'buildx'), 'builder_local_fact': '',
                 'buildkit_networks': [{'name': net, 'subnet': '10.240.%s.0/24' % core.split('.')[1]}],
                 'buildkit_builders': [{'name': names[0], 'network': net, 'pull': False, 'driver_opts': {'image': TEST_IMAGE}},
                                       {'name': names[1], 'pull': False, 'driver_opts': {'image': TEST_IMAGE, 'memory': '1g'}}]}
    try:
        changed, out = playbook(bindir, tmp_path, role_vars, check=True)
        assert changed > 0, out
        assert docker_client.networks.list(names=[net]) == [] and container(docker_client, names[0] + '0') is None
        changed, out = playbook(bindir, tmp_path, role_vars)
        assert changed > 0, out
        assert container(docker_client, names[0] + '0')['State']['Running']
        assert net in container(docker_client, names[0] + '0')['NetworkSettings']['Networks']
        assert container(docker_client, names[1] + '0')['HostConfig']['Memory'] == 1024 ** 3
        changed, out = playbook(bindir, tmp_path, role_vars)
        assert changed == 0, out
        role_vars['buildkit_builders'] = [dict(b, state='absent') for b in role_vars['buildkit_builders']]
        changed, out = playbook(bindir, tmp_path, role_vars)
        assert changed > 0 and all(container(docker_client, n + '0') is None for n in names), out
    finally:
        for name in names:
            remove_builder_traces(docker_client, name + '0')
        for found in docker_client.networks.list(names=[net]):
            found.remove()

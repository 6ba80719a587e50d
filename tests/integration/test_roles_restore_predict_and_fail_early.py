"""The qemu and builder roles on the real kernel and Docker: absent restores what qemu replaced, check mode on a
fresh host predicts every change, bad input fails before any change, a failing builder fails at once, a custom
binfmt.d directory is created.
Changes binfmt_misc: run under `flock -w 1800 /tmp/buildkit-fleet-binfmt.lock`."""
import json
import os
import sys
import uuid

import pytest

from binfmt_support import BINFMT, changed_tasks, failed_results, files_under, playbook, restore, snapshot
from support import TEST_IMAGE, container, remove_builder_traces


@pytest.fixture
def binfmt():
    """Snapshot of binfmt_misc, restored exactly afterwards."""
    before = snapshot()
    yield before
    restore(before)


@pytest.fixture
def prefix(docker_client):
    """A unique binfmt-prefixed name; its networks and builders are removed afterwards."""
    name = 'binfmt%s' % uuid.uuid4().hex[:6]
    yield name
    remove_builder_traces(docker_client, name + 'b0')
    for net in docker_client.networks.list(names=[name + 'net']):
        net.remove()


def qemu_role(**role_vars):
    return {'name': 'qemu role', 'ansible.builtin.include_role': {'name': 'buildkit.fleet.qemu'}, 'vars': role_vars}


def builder_role(**role_vars):
    return {'name': 'builder role', 'ansible.builtin.include_role': {'name': 'buildkit.fleet.builder'}, 'vars': role_vars}


def test_qemu_role_absent_restores_the_handler_it_replaced(tmp_path, binfmt):
    """The role replaces the harness's qemu-aarch64 (PF) with POCF; absent puts back exactly PF."""
    assert 'qemu-aarch64' in binfmt and 'flags: PF' in binfmt['qemu-aarch64']
    common = {'qemu_platforms': ['linux/arm64'], 'qemu_state_file': str(tmp_path / 'record.json'),
              'qemu_binfmt_dir': str(tmp_path / 'binfmt.d')}
    rc, _res, _t, out = playbook(tmp_path, [qemu_role(qemu_credentials=True, **common)])
    assert rc == 0, out
    with open(os.path.join(BINFMT, 'qemu-aarch64')) as handle:
        assert 'flags: POCF' in handle.read()
    rc, _res, _t, out = playbook(tmp_path, [qemu_role(qemu_state='absent', **common)])
    assert rc == 0, out
    assert snapshot() == binfmt  # every handler exactly as before, the replaced one included
    assert not os.path.exists(common['qemu_state_file'])
    assert files_under(tmp_path / 'binfmt.d') == []
    rc, _res, _t, out = playbook(tmp_path, [qemu_role(qemu_state='absent', **common)])  # a later absent works too
    assert rc == 0, out


def test_builder_role_check_mode_on_a_fresh_host_predicts_qemu_network_and_builder(tmp_path, binfmt, prefix, docker_client):
    (tmp_path / 'binfmt.d').mkdir()
    role_vars = {
        'builder_qemu': True, 'qemu_platforms': ['linux/mips64le'], 'qemu_state_file': str(tmp_path / 'rec.json'),
        'qemu_binfmt_dir': str(tmp_path / 'binfmt.d'), 'builder_buildx_config': str(tmp_path / 'buildx'),
        'buildkit_networks': [{'name': prefix + 'net', 'subnet': '10.231.0.0/24'}],
        'buildkit_builders': [{'name': prefix + 'b', 'network': prefix + 'net', 'pull': False,
                               'driver_opts': {'image': TEST_IMAGE}}]}
    rc, results, _t, out = playbook(tmp_path, [builder_role(**role_vars)], check=True)
    assert rc == 0, out
    changed = changed_tasks(results)
    assert any('emulator' in n.lower() or 'handler' in n.lower() for n in changed), changed
    assert any('network' in n.lower() for n in changed), changed
    assert any('builder' in n.lower() for n in changed), changed
    # the builders run finds the network missing and predicts the builder all the same; the network role predicts it
    provision = [res for name, res in results if 'Provision the builders (the run' in name][0]
    assert provision['pending_networks'][0]['differences'] == ['missing'], provision
    assert provision['builders'][0]['changed']
    assert "network '%snet' does not exist" % prefix in json.dumps(provision.get('warnings')), provision
    # nothing was made
    assert snapshot() == binfmt
    assert docker_client.networks.list(names=[prefix + 'net']) == []
    assert container(docker_client, prefix + 'b0') is None
    assert files_under(tmp_path / 'binfmt.d') == [] and not (tmp_path / 'rec.json').exists()
    assert not (tmp_path / 'buildx' / 'instances').exists()


def test_builder_role_bad_network_item_fails_before_qemu_changes_anything(tmp_path, binfmt, prefix):
    (tmp_path / 'binfmt.d').mkdir()
    role_vars = {
        'builder_qemu': True, 'qemu_platforms': ['linux/mips64le'], 'qemu_state_file': str(tmp_path / 'rec.json'),
        'qemu_binfmt_dir': str(tmp_path / 'binfmt.d'), 'builder_buildx_config': str(tmp_path / 'buildx'),
        'buildkit_networks': [{'name': prefix + 'net', 'mtu': 'jumbo'}],
        'buildkit_builders': [{'name': prefix + 'b', 'network': prefix + 'net'}]}
    rc, results, _t, out = playbook(tmp_path, [builder_role(**role_vars)])
    assert rc != 0
    failed = failed_results(results)
    assert 'mtu' in json.dumps(failed) and 'jumbo' in json.dumps(failed), out
    assert changed_tasks(results) == []
    assert snapshot() == binfmt
    assert not os.path.exists(role_vars['qemu_state_file'])
    assert files_under(tmp_path / 'binfmt.d') == []


def test_builder_role_failing_builder_fails_at_once(tmp_path, binfmt, prefix):
    (tmp_path / 'binfmt.d').mkdir()
    role_vars = {
        'builder_qemu': True, 'qemu_platforms': ['linux/arm64'], 'qemu_state_file': str(tmp_path / 'rec.json'),
        'qemu_binfmt_dir': str(tmp_path / 'binfmt.d'), 'builder_buildx_config': str(tmp_path / 'buildx'),
        'builder_platforms_timeout': 30,
        'buildkit_builders': [{'name': prefix + 'b', 'pull': False, 'driver_opts': {'image': TEST_IMAGE, 'memory': 'lots'}}]}
    rc, results, _t, out = playbook(tmp_path, [builder_role(**role_vars)])
    assert rc != 0
    provision = [res for name, res in results if 'Provision the builders' in name][0]
    assert provision['failed'] and 'driver_opts.memory' in provision['msg'] and 'lots' in provision['msg'], provision
    assert provision.get('attempts', 1) == 1, 'retried %s times' % provision.get('attempts')


def test_qemu_role_creates_a_custom_binfmt_dir(tmp_path, binfmt):
    binfmt_dir = tmp_path / 'new' / 'binfmt.d'
    common = {'qemu_platforms': ['linux/arm64'], 'qemu_state_file': str(tmp_path / 'record.json'),
              'qemu_binfmt_dir': str(binfmt_dir)}
    rc, _res, _t, out = playbook(tmp_path, [qemu_role(**common)])
    assert rc == 0, out
    text = (binfmt_dir / 'qemu-aarch64.conf').read_text()
    assert ':qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46' in text
    rc, _res, _t, out = playbook(tmp_path, [qemu_role(qemu_state='absent', **common)])
    assert rc == 0, out
    assert files_under(binfmt_dir) == []
    assert snapshot() == binfmt


def one_line_failure(results):
    """The message of the one failed task: a single line, no traceback."""
    failed = failed_results(results)
    assert len(failed) == 1, failed
    msg = failed[0][1]['msg']
    assert '\n' not in msg.strip() and 'Traceback' not in json.dumps(failed[0][1]), failed
    return failed[0][0], msg


def test_builder_role_missing_docker_socket_fails_in_one_line_naming_it(tmp_path, prefix):
    """The image check (an image tarball is set) on a daemon that is not there: one line naming the socket."""
    socket = 'unix://%s/docker.sock' % tmp_path
    archive = tmp_path / 'buildkit.tar'
    archive.write_bytes(b'not used')
    rc, results, _t, out = playbook(tmp_path, [builder_role(
        builder_docker_host=socket, builder_buildx_config=str(tmp_path / 'buildx'), builder_local_fact='',
        builder_image_archive=str(archive), buildkit_builders=[{'name': prefix + 'b', 'pull': False}])])
    assert rc != 0, out
    _name, msg = one_line_failure(results)
    assert socket in msg and 'Cannot reach the Docker daemon' in msg, msg


def test_builder_role_host_without_python_fails_in_one_line(tmp_path, prefix):
    rc, results, _t, out = playbook(tmp_path, [builder_role(
        builder_buildx_config=str(tmp_path / 'buildx'), builder_local_fact='',
        buildkit_builders=[{'name': prefix + 'b', 'pull': False, 'driver_opts': {'image': TEST_IMAGE}}])],
        extra_vars={'ansible_python_interpreter': str(tmp_path / 'no' / 'python3')})
    assert rc != 0, out
    _name, msg = one_line_failure(results)
    assert msg.startswith('localhost: no usable Python') and str(tmp_path / 'no' / 'python3') in msg, msg


def test_builder_role_wheelhouse_without_wheels_fails_in_one_line_naming_it(tmp_path, prefix, docker_client):
    wheels = tmp_path / 'wheels'
    wheels.mkdir()
    (wheels / 'README').write_text('no wheels here\n')
    venv = tmp_path / 'venv'
    rc, results, _t, out = playbook(tmp_path, [builder_role(
        builder_venv=str(venv), builder_pip_wheelhouse=str(wheels),  # auto: the harness's Python lacks the last package
        builder_pip_packages=['docker>=7', "tomli; python_version < '3.11'", 'buildkit-fleet-no-such-package'],
        builder_buildx_config=str(tmp_path / 'buildx'), builder_local_fact='',
        buildkit_builders=[{'name': prefix + 'b', 'pull': False, 'driver_opts': {'image': TEST_IMAGE}}])],
        timeout=900)
    assert rc != 0, out
    _name, msg = one_line_failure(results)
    assert msg.startswith('localhost: pip could not install docker>=7') and str(wheels) in msg, msg
    assert 'wheels for Python %d.%d' % sys.version_info[:2] in msg, msg
    assert container(docker_client, prefix + 'b0') is None


def test_builder_role_leaves_a_local_fact_a_later_play_finds(tmp_path, prefix, docker_client):
    fact_dir = tmp_path / 'facts.d'
    role = builder_role(builder_buildx_config=str(tmp_path / 'buildx'), builder_local_fact=str(fact_dir / 'buildkit_fleet.fact'),
                        buildkit_builders=[{'name': prefix + 'b', 'pull': False, 'driver_opts': {'image': TEST_IMAGE}}])
    rc, results, _t, out = playbook(tmp_path, [role])
    assert rc == 0, out
    assert json.loads((fact_dir / 'buildkit_fleet.fact').read_text()) == {'python': sys.executable, 'docker_sdk': 'auto'}
    summary = [res for name, res in results if 'Summarize' in name][0]['ansible_facts']['builder_summary']
    assert [(s['name'], s['status']) for s in summary] == [(prefix + 'b', 'running')], summary
    gather = {'name': 'local facts', 'ansible.builtin.setup': {'fact_path': str(fact_dir), 'gather_subset': ['!all', '!min', 'local']}}
    show = {'name': 'the interpreter', 'ansible.builtin.debug': {'msg': '{{ ansible_local.buildkit_fleet.python }}'}}
    rc, results, _t, out = playbook(tmp_path, [gather, show])
    assert rc == 0 and results[-1][1]['msg'] == sys.executable, out
    rc, results, _t, out = playbook(tmp_path, [dict(role, vars=dict(role['vars'], buildkit_builders=[
        {'name': prefix + 'b', 'state': 'absent'}]))])
    assert rc == 0, out

"""Converging a remote builder in a temporary store: TLS file checks, copies, idempotence, absent, use."""
import json
import os
import shutil
import stat

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError, TaskFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._remote import apply
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.docker_context import current_key

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def pem(name):
    return os.path.join(FIXTURES, name)


@pytest.fixture
def store(tmp_path):
    return str(tmp_path / 'buildx')


def params(store, **kwargs):
    base = dict(name='farm', state='present', buildx_config=store, default_load=False, use=False,
                copy_tls_files=True, check_reachable=False, connect_timeout=5,
                nodes=[dict(endpoint='tcp://127.0.0.1:1', platforms=['linux/amd64'], servername='farm.local',
                            ca_cert=pem('ca.pem'), cert=pem('client.pem'), key=pem('client-key.pem'))])
    base.update(kwargs)
    return base


ENV = {'DOCKER_HOST': 'unix:///var/run/docker.sock'}


def test_check_then_create_then_no_change(store):
    predicted = apply.run(params(store), True, ENV)
    assert predicted['changed'] is True and not os.path.exists(store)
    made = apply.run(params(store), False, ENV)
    assert made['changed'] is True
    copy = os.path.join(store, 'remote-tls', 'farm', 'farm0', 'key.pem')
    with open(copy, 'rb') as a, open(pem('client-key.pem'), 'rb') as b:
        assert a.read() == b.read()
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    entry = json.load(open(os.path.join(store, 'instances', 'farm')))
    assert entry['Nodes'][0]['DriverOpts']['key'] == copy
    assert made['builder']['nodes'][0]['tls_files']['key']['path'] == copy
    assert made['builder']['nodes'][0]['tls_files']['key']['sha256'].startswith('sha256:')
    key_text = open(pem('client-key.pem')).read().splitlines()[1]
    assert key_text not in json.dumps(made)
    assert apply.run(params(store), False, ENV)['changed'] is False
    assert apply.run(params(store), True, ENV)['changed'] is False


def test_renewed_certificate_is_a_change_of_its_digest(store, tmp_path):
    source = str(tmp_path / 'ca.pem')
    shutil.copy(pem('ca.pem'), source)
    nodes = params(store)['nodes']
    nodes[0]['ca_cert'] = source
    apply.run(params(store, nodes=nodes), False, ENV)
    with open(source, 'a') as handle:
        handle.write(open(pem('ca.pem')).read())  # a bundle now: another content
    changed = apply.run(params(store, nodes=nodes), False, ENV)
    assert [d['item'] for d in changed['differences']] == ['nodes[farm0].tls_files.ca_cert']


def test_renamed_node_drops_the_old_copies(store):
    apply.run(params(store), False, ENV)
    nodes = params(store)['nodes']
    nodes[0]['name'] = 'farm-a'
    apply.run(params(store, nodes=nodes), False, ENV)
    assert os.listdir(os.path.join(store, 'remote-tls', 'farm')) == ['farm-a']
    referenced = apply.run(params(store, nodes=nodes, copy_tls_files=False), False, ENV)
    assert referenced['changed'] is True and not os.path.exists(os.path.join(store, 'remote-tls'))


def test_use_writes_current_with_the_context_key(store):
    result = apply.run(params(store, use=True), False, {'DOCKER_HOST': 'tcp://docker:2375'})
    assert result['builder']['current'] is True
    assert json.load(open(os.path.join(store, 'current'))) == {'Key': 'tcp://docker:2375', 'Name': 'farm', 'Global': False}
    assert apply.run(params(store, use=True), False, {'DOCKER_HOST': 'tcp://docker:2375'})['changed'] is False


def test_absent_removes_entry_activity_and_copies(store):
    apply.run(params(store), False, ENV)
    assert apply.run(params(store, state='absent'), True, ENV)['changed'] is True
    assert os.path.exists(os.path.join(store, 'instances', 'farm'))
    assert apply.run(params(store, state='absent'), False, ENV)['changed'] is True
    assert sorted(os.listdir(os.path.join(store, 'instances'))) == []
    assert not os.path.exists(os.path.join(store, 'activity', 'farm'))
    assert not os.path.exists(os.path.join(store, 'remote-tls'))
    assert apply.run(params(store, state='absent'), False, ENV)['changed'] is False


def test_other_driver_is_not_taken_over(store):
    os.makedirs(os.path.join(store, 'instances'))
    with open(os.path.join(store, 'instances', 'farm'), 'w') as handle:
        handle.write('{"Name":"farm","Driver":"docker-container","Nodes":[],"Dynamic":false}')
    with pytest.raises(TaskFailed, match="name: .*docker-container driver"):
        apply.run(params(store), False, ENV)
    with pytest.raises(TaskFailed, match="docker-container driver"):
        apply.run(params(store, state='absent'), False, ENV)


@pytest.mark.parametrize('change, words', [
    (dict(ca_cert='/nonexistent/ca.pem'), ['nodes[0].ca_cert', '/nonexistent/ca.pem', 'does not exist']),
    (dict(cert=FIXTURES), ['nodes[0].cert', FIXTURES, 'not a file']),
    (dict(cert=pem('README.md')), ['nodes[0].cert', 'README.md', 'not a PEM certificate']),
    (dict(key=pem('client.pem')), ['nodes[0].key', 'not a PEM private key']),
    (dict(ca_cert=pem('client-key.pem')), ['nodes[0].ca_cert', 'not a PEM certificate']),
    (dict(key=pem('foreign-client-key.pem')), ['nodes[0].key', 'foreign-client-key.pem', 'does not belong']),
])
def test_bad_tls_files_leave_nothing(store, change, words):
    nodes = params(store)['nodes']
    nodes[0].update(change)
    with pytest.raises(SpecError) as err:
        apply.run(params(store, nodes=nodes), False, ENV)
    for word in words:
        assert word in str(err.value)
    assert not os.path.exists(store)


def test_unreachable_endpoint_fails_before_writing(store, monkeypatch):
    monkeypatch.setattr(apply, 'probe', lambda node, timeout: {'checked': True, 'ok': False, 'error': 'connection refused'})
    with pytest.raises(TaskFailed, match=r'nodes\[0\].endpoint: tcp://127.0.0.1:1 does not answer: connection refused'):
        apply.run(params(store, check_reachable=True), False, ENV)
    assert not os.path.exists(store)


def test_current_key_follows_the_docker_cli(tmp_path):
    assert current_key({'DOCKER_HOST': 'tcp://h:1', 'DOCKER_CONTEXT': 'ctx'}) == 'tcp://h:1'
    assert current_key({'DOCKER_CONTEXT': 'ctx', 'DOCKER_CONFIG': str(tmp_path)}) == 'ctx'
    (tmp_path / 'config.json').write_text('{"currentContext": "remote"}')
    assert current_key({'DOCKER_CONFIG': str(tmp_path)}) == 'remote'
    (tmp_path / 'config.json').write_text('{"currentContext": "default"}')
    assert current_key({'DOCKER_CONFIG': str(tmp_path)}) == 'unix:///var/run/docker.sock'


def test_certificate_facts_and_validity(store):
    from ansible_collections.buildkit.fleet.plugins.module_utils._remote.tls_files import cert_facts
    facts = cert_facts('nodes[0].cert', pem('client.pem'))
    assert facts['subject'] == 'CN=farm client' and facts['days_left'] > 30000 and facts['serial']
    with pytest.raises(SpecError, match=r"nodes\[0\].cert: the certificate in '.*client.pem' \(CN=farm client\) expired on"):
        cert_facts('nodes[0].cert', pem('client.pem'), now=4102444800 * 2)
    with pytest.raises(SpecError, match='not valid before'):
        cert_facts('nodes[0].cert', pem('client.pem'), now=0)
    made = apply.run(params(store), True, ENV)
    assert made['builder']['nodes'][0]['tls_files']['cert']['subject'] == 'CN=farm client'
    assert 'subject' not in made['builder']['nodes'][0]['tls_files']['key']


def test_dropped_client_certificate_drops_its_copies(store):
    apply.run(params(store), False, ENV)
    nodes = params(store)['nodes']
    nodes[0].update(cert=None, key=None)
    changed = apply.run(params(store, nodes=nodes), False, ENV)
    assert changed['changed'] is True
    assert os.listdir(os.path.join(store, 'remote-tls', 'farm', 'farm0')) == ['ca.pem']
    assert apply.run(params(store, nodes=nodes), False, ENV)['changed'] is False


def test_serial_and_time_formats_match_the_builder_modules():
    from ansible_collections.buildkit.fleet.plugins.module_utils._remote.tls_files import hex_serial, utc_text
    assert hex_serial('00AB12') == 'ab12'
    assert utc_text('Jan  4 23:46:19 2027 GMT') == '2027-01-04T23:46:19Z'

"""Batch.check: every item is judged before anything runs; messages name the item and the option."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import batch as b


def params(tmp_path, builders, **kw):
    base = dict(builders=builders, networks=[], wait_for_platforms=[], platforms_timeout=60,
                buildx_config=str(tmp_path / 'buildx'), lock_timeout=600, docker_host=None, tls=False,
                validate_certs=False, ca_path=None, client_cert=None, client_key=None, api_version='auto', timeout=60)
    base.update(kw)
    return base


def check(tmp_path, builders, **kw):
    batch = b.Batch(params(tmp_path, builders, **kw), check_mode=True, diff=False)
    with pytest.raises(b.BatchError) as err:
        batch.check()
    return err.value.msg


def test_good_items_get_defaults(tmp_path, monkeypatch):
    monkeypatch.setattr(b, 'sdk_problem', lambda: None)
    batch = b.Batch(params(tmp_path, [{'name': 'one'}, {'name': 'two', 'state': 'absent'}],
                           wait_for_platforms=['arm64', 'linux/arm/v7']), check_mode=True, diff=False)
    batch.check()
    assert [r.params['name'] for r in batch.runs] == ['one', 'two']
    assert batch.runs[0].params['recreate'] == 'changed' and batch.runs[0].params['lock_timeout'] == 600
    assert batch.wanted_platforms == ['linux/arm64', 'linux/arm/v7']


@pytest.mark.parametrize('item,words', [
    ({'name': 'x', 'driver_opts': {'memory': 'lots'}}, ['builders[1] (x)', 'driver_opts.memory', 'lots']),
    ({'name': 'x', 'state': 'up'}, ['builders[1] (x)', 'state', 'up']),
    ({'name': 'x', 'lock_timeout': 5}, ['builders[1] (x)', 'lock_timeout', 'once for all builders']),
    ({'name': 'x', 'nodes': ['a']}, ['builders[1] (x)', 'nodes[0]']),
    ({'state': 'present'}, ['builders[1]', 'name']),
    ('x', ['builders[1]', 'must be a dictionary']),
    ({'name': 'ONE'}, ['builders[1] (ONE)', 'also given by builders[0] (one)']),
])
def test_bad_items_are_named(tmp_path, item, words):
    msg = check(tmp_path, [{'name': 'one'}, item])
    for word in words:
        assert word in msg, msg
    assert 'builders[0]:' not in msg


def test_every_bad_item_is_listed_at_once(tmp_path):
    msg = check(tmp_path, [{'name': 'a', 'recreate': 'sometimes'}, {'name': 'b', 'driver_opts': {'cpu_quota': 'x'}}])
    assert 'builders[0] (a)' in msg and 'builders[1] (b)' in msg


def test_bad_platform_and_timeouts(tmp_path):
    msg = check(tmp_path, [{'name': 'a'}], wait_for_platforms=['linux//x'], platforms_timeout=0)
    assert 'wait_for_platforms' in msg and 'platforms_timeout' in msg


def test_missing_sdk_is_reported_after_the_items(tmp_path, monkeypatch):
    monkeypatch.setattr(b, 'sdk_problem', lambda: 'no docker here')
    batch = b.Batch(params(tmp_path, [{'name': 'a'}]), check_mode=False, diff=False)
    with pytest.raises(b.BatchError) as err:
        batch.check()
    assert err.value.msg == 'no docker here' and err.value.details['docker_sdk_missing'] is True
    assert err.value.details['missing_requirements'] == []


def test_missing_requirement_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(b, 'sdk_problem', lambda: None)
    batch = b.Batch(dict(params(tmp_path, [{'name': 'a'}]), python_requirements=['no-such-dist>=1', "other; python_version < '3'"]),
                    check_mode=False, diff=False)
    with pytest.raises(b.BatchError) as err:
        batch.check()
    assert 'no-such-dist>=1' in err.value.msg and err.value.details['missing_requirements'] == ['no-such-dist>=1']


def test_network_shortcut_and_image_archive_are_folded():
    item = b.folded_item({'name': 'a', 'network': 'n', 'driver_opts': {'memory': '1g'}}, '/x.tar')
    assert item == {'name': 'a', 'driver_opts': {'memory': '1g', 'network': 'n'}, 'image_archive': '/x.tar'}
    assert 'image_archive' not in b.folded_item({'name': 'a', 'state': 'absent'}, '/x.tar')
    with pytest.raises(b.SpecError, match="network: 'n' and driver_opts.network: 'm' differ"):
        b.folded_item({'name': 'a', 'network': 'n', 'driver_opts': {'network': 'm'}})


def test_summary_rows():
    results = [{'name': 'a', 'state': 'present', 'changed': True, 'builder': {'nodes': [
        {'status': 'running', 'buildkit_version': 'v0.32.2', 'platforms': ['linux/amd64']}]}},
        {'name': 'b', 'state': 'absent', 'changed': False}]
    rows = b.summary(results, [{'name': 'a', 'network': 'n'}, {'name': 'b'}])
    assert rows == [dict(name='a', state='present', changed=True, status='running', buildkit_version='v0.32.2',
                         platforms=['linux/amd64'], network='n'),
                    dict(name='b', state='absent', changed=False, status='absent', buildkit_version='', platforms=[],
                         network='')]


def test_toml_without_a_library_is_the_interpreters_lack(tmp_path, monkeypatch):
    """On Python < 3.11 without tomli an inline config cannot be checked: the missing requirement is said first."""
    monkeypatch.setattr(b, 'sdk_problem', lambda: None)

    def no_toml(self):
        raise b.SpecError('buildkitd_config: validating TOML %s on the target' % b.TOML_LIBRARY_MISSING)
    monkeypatch.setattr(b.BuilderRun, 'check', no_toml)
    batch = b.Batch(dict(params(tmp_path, [{'name': 'a', 'buildkitd_config_inline': 'debug = true'}]),
                         python_requirements=['buildkit-fleet-no-such-package']), check_mode=False, diff=False)
    with pytest.raises(b.BatchError) as err:
        batch.check()
    assert err.value.details.get('docker_sdk_missing') is True, err.value.msg

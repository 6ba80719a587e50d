"""buildkit_bake: bake's errors under the option they are about, entitlement checks, file checks, manifest cache."""
import json

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import resolve
from ansible_collections.buildkit.fleet.plugins.module_utils._bake.registry import ManifestCache

PARAMS = {'working_dir': '/srv/app', 'files': ['docker-bake.hcl'], 'targets': ['web'], 'set': ['x.args.A=1'],
          'allow': []}


@pytest.mark.parametrize('message,expected', [
    ("could not find any target matching 'x'", "set: bake rejects 'x.args.A=1': could not find any target matching 'x'"),
    ('failed to find target web', "targets: bake rejects 'web': failed to find target web"),
    ('docker-bake.hcl:1,12-13: Unclosed configuration block', "files: bake rejects 'docker-bake.hcl': docker-bake.hcl:1"),
    ('additional privileges requested', 'allow: bake rejects (the default group): additional privileges requested'),
])
def test_error_message_names_the_option(message, expected):
    assert resolve.error_message(PARAMS, message).startswith(expected)


def test_error_message_default_files():
    params = dict(PARAMS, files=None)
    assert "files: bake rejects (bake's default files in /srv/app)" in resolve.error_message(params, 'no definition')


def test_check_entitlements():
    targets = {'a': {'entitlements': ['network.host']}, 'b': {}}
    assert "allow: target 'a' needs the entitlement 'network.host'" in resolve.check_entitlements(PARAMS, targets)
    assert resolve.check_entitlements(dict(PARAMS, allow=['network.host']), targets) is None
    fs = {'a': {'entitlements': ['fs.read=/srv']}}
    assert resolve.check_entitlements(dict(PARAMS, allow=['fs.read=/other']), fs) is None  # bake checks the paths


def test_check_files(tmp_path):
    (tmp_path / 'docker-bake.hcl').write_text('')
    params = dict(PARAMS, working_dir=str(tmp_path))
    assert resolve.check_files(params) is None
    assert "files: 'gone.hcl' does not exist" in resolve.check_files(dict(params, files=['gone.hcl']))
    assert "working_dir: '%s/nope' is not a directory" % tmp_path in resolve.check_files(
        dict(params, working_dir=str(tmp_path / 'nope')))


def test_requested_targets_unknown_is_a_spec_error():
    resolved = {'group': {'default': {'targets': ['web']}}, 'target': {'web': {}}}
    assert resolve.requested_targets({'targets': None}, resolved) == ['web']
    with pytest.raises(ValueError, match="targets: 'api' is neither a target nor a group"):
        resolve.requested_targets({'targets': ['api']}, resolved)


def read(path):
    with open(path) as handle:
        return json.load(handle)


def test_manifest_cache_round_trip(tmp_path):
    path = str(tmp_path / 'c' / 'manifests.json')
    cache = ManifestCache(path)
    assert cache.get('sha256:a') is None
    cache.put('sha256:a', {'digest': 'sha256:a'})
    cache.save()
    assert read(path) == {'sha256:a': {'digest': 'sha256:a'}}
    assert ManifestCache(path).get('sha256:a') == {'digest': 'sha256:a'}
    readonly = ManifestCache(path, writable=False)
    readonly.put('sha256:b', {})
    readonly.save()
    assert 'sha256:b' not in read(path)

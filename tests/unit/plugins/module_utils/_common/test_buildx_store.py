"""Store JSON against the examples of the buildx driver reference."""
import base64
import json
import os
import stat

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import spec as s
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.compare import store_differences
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore, go_json, group_to_json

EXAMPLE_1 = (b'{"Name":"container","Driver":"docker-container","Nodes":[{"Name":"container0",'
             b'"Endpoint":"unix:///var/run/docker.sock","Platforms":null,"DriverOpts":{"image":"moby/buildkit:v0.23.2",'
             b'"memory":"4g","restart-policy":"always"},"Flags":["--allow-insecure-entitlement=network.host"],'
             b'"Files":null}],"Dynamic":false}')
CONFIG_2 = base64.b64decode('ZGVidWcgPSB0cnVlCgpbcmVnaXN0cnldCltyZWdpc3RyeS4nZG9ja2VyLmlvJ10KbWlycm9ycyA9IFsnbWlycm9yLmdjci5pbyddCg==')
EXAMPLE_2 = (b'{"Name":"container","Driver":"docker-container","Nodes":[{"Name":"container0",'
             b'"Endpoint":"unix:///var/run/docker.sock","Platforms":[{"architecture":"amd64","os":"linux"},'
             b'{"architecture":"arm64","os":"linux"}],"DriverOpts":{"env.http_proxy":"http://proxy:3128",'
             b'"network":"host"},"Flags":["--debug","--allow-insecure-entitlement=network.host"],'
             b'"Files":{"buildkitd.toml":"ZGVidWcgPSB0cnVlCgpbcmVnaXN0cnldCltyZWdpc3RyeS4nZG9ja2VyLmlvJ10KbWlycm9ycyA9IFsnbWlycm9yLmdjci5pbyddCg=="}}],'
             b'"Dynamic":false}')
SOCK = 'unix:///var/run/docker.sock'


def test_example_1_is_byte_identical():
    spec = s.desired_spec(dict(name='container', platforms=None, buildkitd_flags=None, driver_opts={
        'image': 'moby/buildkit:v0.23.2', 'memory': '4g', 'restart_policy': 'always'}), SOCK)
    assert group_to_json(spec) == EXAMPLE_1


def test_example_2_is_byte_identical():
    spec = s.desired_spec(dict(name='container', platforms=['linux/amd64', 'linux/arm64'], buildkitd_flags=['--debug'],
                               driver_opts={'network': 'host', 'env': {'http_proxy': 'http://proxy:3128'}}),
                          SOCK, config_text=CONFIG_2.decode())
    assert group_to_json(spec) == EXAMPLE_2


def test_go_escapes_html_characters():
    assert go_json({'a': '<&>'}) == b'{"a":"\\u003c\\u0026\\u003e"}'


def test_write_read_roundtrip_modes_and_no_stray_files(tmp_path):
    store = BuildxStore(str(tmp_path / 'buildx'))
    spec = s.desired_spec(dict(name='Mixed', platforms=None, buildkitd_flags=None, driver_opts={}), SOCK)
    with store.locked():
        store.write(spec)
        store.set_current(SOCK, 'Mixed')
    path = tmp_path / 'buildx' / 'instances' / 'mixed'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert os.listdir(str(tmp_path / 'buildx' / 'instances')) == ['mixed']
    assert store.read('MIXED')['nodes'][0]['name'] == 'mixed0'
    assert (tmp_path / 'buildx' / 'activity' / 'Mixed').exists()
    assert json.loads((tmp_path / 'buildx' / 'current').read_text()) == {'Key': SOCK, 'Name': 'Mixed', 'Global': False}
    assert not [f for f in os.listdir(str(tmp_path / 'buildx')) if f.startswith('.buildkit-fleet-')]
    assert store.remove('Mixed') and not store.has_traces('Mixed')


def test_buildx_written_entry_compares_equal(tmp_path):
    (tmp_path / 'instances').mkdir()
    (tmp_path / 'instances' / 'container').write_bytes(EXAMPLE_1)
    stored = BuildxStore(str(tmp_path)).read('container')
    spec = s.desired_spec(dict(name='container', platforms=None, buildkitd_flags=None, driver_opts={
        'image': 'moby/buildkit:v0.23.2', 'memory': '4096MiB', 'restart_policy': 'always'}), SOCK)
    assert store_differences(stored['nodes'][0], spec['nodes'][0]) == []

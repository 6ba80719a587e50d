"""buildkit_builders: many builders in one module run, on the real daemon and buildx store."""
import json

import docker
import pytest

from support import TEST_IMAGE, buildx, container, store_files, volume_exists


def item(name, **options):
    return dict({'name': name, 'pull': False, 'driver_opts': dict({'image': TEST_IMAGE}, **options.pop('driver_opts', {}))},
                **options)


@pytest.fixture
def network(docker_client):
    names = []

    def make(name, **kwargs):
        names.append(name)
        return docker_client.networks.create(name, **kwargs)
    yield make
    for name in names:
        for found in docker_client.networks.list(names=[name]):
            found.remove()


def test_check_mode_predicts_then_creates_then_idempotent(ansible, builder, docker_client, buildx_config):
    names = [builder('bat'), builder('Bat'), builder('bat')]
    items = [item(names[0]), item(names[1], driver_opts={'memory': '512m'}), item(names[2], state='stopped')]

    predicted = ansible('buildkit_builders', check=True, builders=items, buildx_config=buildx_config)
    assert predicted['changed'] is True and not predicted.get('failed'), predicted
    assert [r['name'] for r in predicted['builders']] == names
    assert all(r['changed'] for r in predicted['builders'])
    assert store_files(buildx_config) == [] and all(container(docker_client, n.lower() + '0') is None for n in names)

    created = ansible('buildkit_builders', builders=items, buildx_config=buildx_config)
    assert created['changed'] is True and not created.get('failed'), created
    assert [r['actions'] for r in created['builders']] == [r['actions'] for r in predicted['builders']]
    assert container(docker_client, names[0].lower() + '0')['State']['Running']
    assert container(docker_client, names[1].lower() + '0')['HostConfig']['Memory'] == 512 * 1024 ** 2
    assert not container(docker_client, names[2].lower() + '0')['State']['Running']
    listed = buildx(buildx_config, 'ls', '--format', '{{json .}}').stdout
    assert set(n.lower() for n in names) <= set(json.loads(line)['Name'].lower() for line in listed.splitlines() if line.strip())
    assert created['builders'][0]['builder']['nodes'][0]['buildkit_version']

    again = ansible('buildkit_builders', builders=items, buildx_config=buildx_config)
    assert again['changed'] is False and not again.get('failed'), again
    check_again = ansible('buildkit_builders', check=True, builders=items, buildx_config=buildx_config)
    assert check_again['changed'] is False

    gone = ansible('buildkit_builders', builders=[dict(i, state='absent') for i in items], buildx_config=buildx_config)
    assert gone['changed'] is True
    assert store_files(buildx_config) == []
    assert all(container(docker_client, n.lower() + '0') is None and not volume_exists(docker_client, n.lower() + '0')
               for n in names)


BAD_ITEMS = [
    ('memory 4x', {'driver_opts': {'memory': '4x'}}, ['builders[1]', 'driver_opts.memory', '4x']),
    ('state up', {'state': 'up'}, ['builders[1]', 'state', 'up']),
    ('buildx spelling', {'driver_opts': {'memory-swap': '1g'}}, ['builders[1]', 'memory-swap']),
    ('nodes not dicts', {'nodes': ['a']}, ['builders[1]', 'nodes[0]']),
    ('unknown option', {'colour': 'red'}, ['builders[1]', 'colour']),
    ('connection per item', {'docker_host': 'unix:///x.sock'}, ['builders[1]', 'docker_host', 'once']),
    ('bad TOML', {'buildkitd_config_inline': 'debug = = true'}, ['builders[1]', 'buildkitd_config']),
    ('missing network', {'driver_opts': {'network': 'batch-no-such-net'}}, ['builders[1]', 'batch-no-such-net']),
]


@pytest.mark.parametrize('label,options,words', BAD_ITEMS, ids=[c[0] for c in BAD_ITEMS])
def test_a_bad_item_fails_before_any_builder_changes(ansible, builder, docker_client, buildx_config, label, options, words):
    good, bad = builder('good'), builder('bad')
    bad_item = item(bad)
    bad_item['driver_opts'].update(options.pop('driver_opts', {}))
    bad_item.update(options)
    result = ansible('buildkit_builders', builders=[item(good), bad_item], buildx_config=buildx_config)
    assert result.get('failed') is True, result
    assert 'Traceback' not in result['msg']
    for word in words:
        assert word in result['msg'], result['msg']
    for name in (good, bad):
        assert container(docker_client, name + '0') is None and not volume_exists(docker_client, name + '0')
    assert store_files(buildx_config) == []


def test_names_given_twice_and_a_non_dict_item_are_refused(ansible, builder, buildx_config):
    name = builder('twice')
    result = ansible('buildkit_builders', builders=[item(name), item(name.upper())], buildx_config=buildx_config)
    assert result['failed'] and 'builders[1]' in result['msg'] and 'also given by builders[0]' in result['msg']
    result = ansible('buildkit_builders', builders=[item(name), 'just-a-name'], buildx_config=buildx_config)
    assert result['failed'] and "builders[1]: each item must be a dictionary" in result['msg'], result['msg']
    assert store_files(buildx_config) == []


def test_pending_network_stops_before_the_builders(ansible, network, builder, docker_client, buildx_config):
    name, net = builder('net'), builder('batchnet')
    args = dict(builders=[item(name, driver_opts={'network': net})], buildx_config=buildx_config,
                networks=[{'name': net, 'subnet': '10.234.7.0/24'}])
    missing = ansible('buildkit_builders', **args)
    assert not missing.get('failed') and missing['changed'] is False, missing
    assert missing['pending_networks'] == [{'name': net, 'differences': ['missing']}]
    assert missing['builders'] == [] and container(docker_client, name + '0') is None and store_files(buildx_config) == []

    network(net, ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='10.234.8.0/24')]))
    differs = ansible('buildkit_builders', **args)
    assert [p['name'] for p in differs['pending_networks']] == [net] and 'subnet' in differs['pending_networks'][0]['differences'][0]
    assert container(docker_client, name + '0') is None

    args['networks'] = [{'name': net, 'subnet': '10.234.8.0/24'}]
    created = ansible('buildkit_builders', **args)
    assert created['changed'] and created['pending_networks'] == [], created
    assert net in container(docker_client, name + '0')['NetworkSettings']['Networks']


def test_wait_for_platforms_fails_naming_the_missing_one(ansible, builder, buildx_config):
    name = builder('plat')
    native = ansible('buildkit_builders', builders=[item(name)], buildx_config=buildx_config,
                     wait_for_platforms=['linux/amd64'])
    assert not native.get('failed') and 'platforms' not in native['builders'][0]['timings'], native
    missing = ansible('buildkit_builders', builders=[item(name)], buildx_config=buildx_config,
                      wait_for_platforms=['linux/amd64', 'linux/mips64le'], platforms_timeout=3)
    assert missing['failed'] and 'builder %s' % name in missing['msg'] and 'linux/mips64le' in missing['msg'], missing
    assert missing['builders'][0]['timings']['platforms'] >= 2


def test_an_interpreter_without_the_docker_sdk_is_reported(tmp_path, builder, buildx_config):
    """The builder role installs the SDK when the first run says so (docker_sdk_missing)."""
    import os
    import subprocess
    name = builder('sdk')
    tree = str(tmp_path / 'tree')
    args = json.dumps({'builders': [item(name)], 'buildx_config': buildx_config})
    proc = subprocess.run(['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', 'buildkit.fleet.buildkit_builders',
                           '-a', args, '-t', tree, '-e', 'ansible_python_interpreter=/usr/bin/python3'],
                          env=dict(os.environ, ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0'),
                          capture_output=True, text=True, timeout=120, check=False)
    with open(os.path.join(tree, 'localhost')) as handle:
        result = json.load(handle)
    assert proc.returncode != 0 and result['docker_sdk_missing'] is True, result
    assert result['interpreter'] == '/usr/bin/python3' and 'docker' in result['msg']
    assert store_files(buildx_config) == []


def test_two_runs_at_once_converge_the_same_builders_once(tmp_path, builder, docker_client, buildx_config):
    """Two ansible processes with the same three builders: per-builder locks serialize them; both succeed."""
    import os
    import subprocess
    import sys
    names = [builder('par') for _index in range(3)]
    args = json.dumps({'builders': [item(n) for n in names], 'buildx_config': buildx_config})
    procs = [subprocess.Popen(['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', 'buildkit.fleet.buildkit_builders',
                               '-a', args, '-t', str(tmp_path / ('tree%d' % i)), '-e', 'ansible_python_interpreter=' + sys.executable],
                              env=dict(os.environ, ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0'),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    results = []
    for i in range(2):
        with open(str(tmp_path / ('tree%d' % i) / 'localhost')) as handle:
            results.append(json.load(handle))
    # every builder was created by exactly one of the runs; the other found it converged
    for index in range(3):
        assert sorted(bool(r['builders'][index]['actions']) for r in results) == [False, True], results
    assert all(container(docker_client, n + '0')['State']['Running'] for n in names)
    assert sorted(os.listdir(os.path.join(buildx_config, 'instances'))) == sorted(n.lower() for n in names)


def test_role_item_shape_summary_and_missing_images(ansible, network, builder, docker_client, buildx_config, tmp_path):
    """The role's items as they are (network shortcut), the summary, and images looked up before any change."""
    name, net = builder('shape'), 'batch-shape-%s' % builder('n')
    network(net)
    absent_image = 'buildkit-fleet/no-such-image:%s' % name
    held = ansible('buildkit_builders', buildx_config=buildx_config, report_missing_images=True,
                   builders=[item(name, network=net), dict(item(builder('miss')), driver_opts={'image': absent_image})])
    assert held['changed'] is False and held['missing_images'] == [absent_image], held
    assert held['builders'] == [] and container(docker_client, name.lower() + '0') is None

    created = ansible('buildkit_builders', buildx_config=buildx_config, report_missing_images=True,
                      builders=[item(name, network=net)])
    assert created['changed'] is True and created['missing_images'] == [], created
    networks = container(docker_client, name.lower() + '0')['NetworkSettings']['Networks']
    assert list(networks) == [net]
    row = created['summary'][0]
    assert (row['name'], row['state'], row['status'], row['network']) == (name, 'present', 'running', net), row
    assert row['buildkit_version'] and 'linux/amd64' in row['platforms']

    both = ansible('buildkit_builders', buildx_config=buildx_config,
                   builders=[item(name, network=net, driver_opts={'network': 'other'})])
    assert both['failed'] and "network: '%s' and driver_opts.network: 'other' differ" % net in both['msg'], both


def test_a_missing_socket_fails_in_one_line_naming_it(ansible, builder, buildx_config, tmp_path):
    host = 'unix://%s/docker.sock' % tmp_path
    result = ansible('buildkit_builders', buildx_config=buildx_config, docker_host=host, report_missing_images=True,
                     builders=[item(builder('sock'))])
    assert result['failed'] and result['msg'].startswith('Cannot reach the Docker daemon at %s' % host), result
    assert '\n' not in result['msg'] and 'Traceback' not in json.dumps(result), result

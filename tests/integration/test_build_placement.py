"""Placement of builds on a pool: two linux/amd64 nodes (one on each real dockerd), cache affinity, failover,
a node added, a 2-platform push joined into one manifest list, check mode predictions.

Where a build ran is read on the nodes themselves (`buildctl du --verbose` in each node's container lists the
RUN step that holds the build's unique token), not from the module's result."""
import hashlib
import json
import os

import docker
import pytest

from build_support import REGISTRY, REGISTRY_CONFIG, context_dir, manifest, unique
from conftest import AnsibleRunner
from support import TEST_IMAGE, remove_builder_traces

from ansible_collections.buildkit.fleet.plugins.module_utils._build import placement as pl

DOCKER2 = os.environ.get('BUILDKIT_FLEET_DOCKER2_HOST', 'unix:///run/buildkit-fleet/docker2.sock')
LOCAL = 'unix:///var/run/docker.sock'
LOCAL_OTHER_PATH = 'unix:///run/docker.sock'  # the same daemon under another endpoint: a third node on it
DOCKERFILE = ('FROM scratch\nCOPY bb-amd64 /bin/busybox\n'
              'RUN ["/bin/busybox", "sh", "-c", "echo %s > /token"]\n'
              'COPY src.txt /src.txt\n'
              'RUN ["/bin/busybox", "sh", "-c", "cat /src.txt > /out"]\n')


@pytest.fixture(scope='module')
def docker2():
    client = docker.DockerClient(base_url=DOCKER2, timeout=120)
    try:
        client.ping()
        client.images.get(TEST_IMAGE)
    except Exception as exc:  # the harness starts it: missing means the environment is broken
        pytest.fail('second dockerd at %s is not usable (run tests/harness/setup.sh): %s' % (DOCKER2, exc))
    return client


@pytest.fixture(scope='module')
def main_docker():
    client = docker.from_env(timeout=120)
    try:
        client.ping()
    except Exception as exc:
        pytest.fail('no Docker daemon answers: %s' % exc)
    return client


@pytest.fixture(scope='module')
def pool(tmp_path_factory, main_docker, docker2):
    """A builder with two nodes that declare no platforms (both run linux/amd64): a on the main dockerd, b on the
    second; both on the host network with the local registry."""
    work = tmp_path_factory.mktemp('placement')
    store = work / 'buildx'
    store.mkdir()
    run = AnsibleRunner(str(work), str(store))
    name = unique('pl')
    nodes = {'a': name + 'a', 'b': name + 'b', 'c': name + 'c'}
    args = dict(name=name, buildx_config=str(store), pull=False, driver_opts={'image': TEST_IMAGE, 'network': 'host'},
                buildkitd_config_inline=REGISTRY_CONFIG,
                nodes=[{'name': nodes['a'], 'endpoint': LOCAL}, {'name': nodes['b'], 'endpoint': DOCKER2}])
    made = run('buildkit_builder', **args)
    assert made['changed'] and not made['failed'], made
    yield {'name': name, 'nodes': nodes, 'args': args, 'store': str(store), 'run': run, 'work': work}
    remove_builder_traces(main_docker, nodes['a'])
    remove_builder_traces(main_docker, nodes['c'])
    remove_builder_traces(docker2, nodes['b'])


def client_of(pool, node, main_docker, docker2):
    return docker2 if node == pool['nodes']['b'] else main_docker


def du(client, node):
    found = client.containers.get('buildx_buildkit_' + node).exec_run(['buildctl', 'du', '--verbose'])
    assert found.exit_code == 0, found.output
    return found.output.decode()


def where(pool, token, main_docker, docker2, names=('a', 'b')):
    """The nodes whose cache holds the RUN step with the token (read on the nodes)."""
    found = []
    for key in names:
        node = pool['nodes'][key]
        if token in du(client_of(pool, node, main_docker, docker2), node):
            found.append(key)
    return found


def store_snapshot(root):
    found = {}
    for base, _dirs, files in os.walk(root):
        for fname in files:
            path = os.path.join(base, fname)
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def pick_builds(pool, work):
    """Six build contexts: at least two hash to each of a and b, and at least one moves to c when c joins."""
    nodes = pool['nodes']
    chosen, per = [], {'a': 0, 'b': 0}
    moved = 0
    for index in range(200):
        ctx = work / ('ctx%02d' % index)
        key = pl.placement_key(pool['name'], pl.identity(str(ctx), 'Dockerfile', ''), 'linux/amd64')
        first = pl.order(key, [nodes['a'], nodes['b']])[0]
        side = 'a' if first == nodes['a'] else 'b'
        goes_to_c = pl.order(key, [nodes['a'], nodes['b'], nodes['c']])[0] == nodes['c']
        if per[side] >= 3 or (goes_to_c and moved >= 2) or (len(chosen) == 5 and not moved and not goes_to_c):
            continue
        per[side] += 1
        moved += goes_to_c
        chosen.append((ctx, side))
        if len(chosen) == 6:
            break
    assert len(chosen) == 6 and min(per.values()) >= 2 and moved >= 1
    builds = []
    for ctx, side in chosen:
        token = unique('tok')
        ctx.mkdir()
        made = context_dir(work, DOCKERFILE % token, {'src.txt': 'one\n'}, busyboxes=('amd64',))
        for entry in os.listdir(str(made)):
            os.rename(str(made / entry), str(ctx / entry))
        builds.append({'ctx': ctx, 'token': token, 'side': side})
    return builds


def build(pool, ctx, check=False, **more):
    args = dict(builder=pool['name'], buildx_config=pool['store'], context=str(ctx), platforms=['linux/amd64'])
    args.update(more)
    result = pool['run']('buildkit_build', check=check, **args)
    assert not result['failed'], result
    return result


def placed(result, platform='linux/amd64'):
    return result['placement']['platforms'][platform]


def test_pool_affinity_cache_failover_and_a_new_node(pool, main_docker, docker2):
    nodes = pool['nodes']
    builds = pick_builds(pool, pool['work'])
    before = store_snapshot(pool['store'])

    # round 1: check mode predicts the node, the real run uses it; the nodes hold each build where predicted
    for item in builds:
        predicted = placed(build(pool, item['ctx'], check=True))
        assert predicted['reason'] == 'affinity' and predicted['node'] == nodes[item['side']], predicted
        done = build(pool, item['ctx'])
        assert done['built'] and placed(done)['node'] == predicted['node'], done['placement']
        assert placed(done)['steps']['executed'] >= 2
    for item in builds:
        assert where(pool, item['token'], main_docker, docker2) == [item['side']]
    counts = dict((side, sum(1 for b in builds if b['side'] == side)) for side in 'ab')
    assert min(counts.values()) >= 2, counts

    # round 2, a source file changed: same node, only the COPY of it and the RUN after it execute
    for item in builds:
        (item['ctx'] / 'src.txt').write_text('two\n')
        done = build(pool, item['ctx'])
        assert placed(done)['node'] == nodes[item['side']]
        assert done['steps']['cached'] == 2 and done['steps']['executed'] == 2, done['steps']
    assert store_snapshot(pool['store']) == before  # the user's buildx store is never changed by a build

    # node a stopped: every build succeeds on b, the result names the failover from a
    container_a = main_docker.containers.get('buildx_buildkit_' + nodes['a'])
    started_b = docker2.api.inspect_container('buildx_buildkit_' + nodes['b'])['State']['StartedAt']
    container_a.stop()
    try:
        for item in builds:
            (item['ctx'] / 'src.txt').write_text('three\n')
            predicted = placed(build(pool, item['ctx'], check=True))
            done = build(pool, item['ctx'])
            assert placed(done)['node'] == nodes['b'] == predicted['node']
            if item['side'] == 'a':
                assert placed(done)['reason'] == 'failover'
                assert [s['node'] for s in placed(done)['failover_from']] == [nodes['a']]
                assert placed(done)['failover_from'][0]['state'] == 'stopped'
            else:
                assert placed(done)['reason'] == 'affinity'
        for item in builds:
            assert 'b' in where(pool, item['token'], main_docker, docker2, names=('b',))
        assert main_docker.api.inspect_container('buildx_buildkit_' + nodes['a'])['State']['Running'] is False
    finally:
        container_a.start()
    assert docker2.api.inspect_container('buildx_buildkit_' + nodes['b'])['State']['StartedAt'] == started_b

    # node a back: builds go back to their affinity node, whose cache still holds them
    for item in builds:
        (item['ctx'] / 'src.txt').write_text('four\n')
        done = build(pool, item['ctx'])
        assert placed(done)['node'] == nodes[item['side']] and placed(done)['reason'] == 'affinity'
        assert done['steps']['cached'] == 2 and done['steps']['executed'] == 2, (item['side'], done['steps'])
    assert store_snapshot(pool['store']) == before

    # node c joins (same daemon as a, another endpoint): only the builds that now hash to c move
    args = dict(pool['args'], nodes=pool['args']['nodes'] + [{'name': nodes['c'], 'endpoint': LOCAL_OTHER_PATH}])
    grown = pool['run']('buildkit_builder', **args)
    assert grown['changed'] and not grown['failed'], grown
    moved = 0
    for item in builds:
        key = pl.placement_key(pool['name'], pl.identity(str(item['ctx']), 'Dockerfile', ''), 'linux/amd64')
        expected = pl.order(key, [nodes['a'], nodes['b'], nodes['c']])[0]
        done = build(pool, item['ctx'])
        if expected == nodes['c']:
            moved += 1
            assert placed(done)['node'] == nodes['c']
        else:
            assert placed(done)['node'] == nodes[item['side']]
    on_c = [item for item in builds if where(pool, item['token'], main_docker, docker2, names=('c',))]
    assert len(on_c) == moved >= 1 and moved < len(builds)
    shrunk = pool['run']('buildkit_builder', **pool['args'])
    assert shrunk['changed'] and not shrunk['failed'], shrunk


def test_two_platform_push_one_manifest_list_per_placement(pool, main_docker, docker2):
    nodes = pool['nodes']
    work = pool['work']
    token = unique('mp')
    ctx = context_dir(work, 'FROM scratch\nARG TARGETARCH\nCOPY bb-${TARGETARCH} /bin/busybox\n'
                            'RUN ["/bin/busybox", "sh", "-c", "echo %s > /token"]\n' % token,
                      busyboxes=('amd64', 'arm64'))
    repo = 'fleet/' + unique('placement')
    platforms = ['linux/amd64', 'linux/arm64']
    before = store_snapshot(pool['store'])
    common = dict(platforms=platforms, outputs=[{'type': 'push'}], provenance='false')
    predicted = build(pool, ctx, check=True, tags=['%s/%s:placed' % (REGISTRY, repo)], **common)
    done = build(pool, ctx, tags=['%s/%s:placed' % (REGISTRY, repo)], **common)
    assert done['built'] and done['placement']['applied']
    for plat in platforms:
        assert placed(done, plat)['node'] == placed(predicted, plat)['node']
        assert placed(done, plat)['node'] in (nodes['a'], nodes['b'])
        assert placed(done, plat)["steps"]["total"] == 2, (done["placement"], done["steps"])
    assert store_snapshot(pool['store']) == before
    index = manifest(repo, 'placed')
    found = sorted('%s/%s' % (m['platform']['os'], m['platform']['architecture']) for m in index['manifests'])
    assert found == platforms
    # each platform's RUN step is in the cache of the node placement chose for it (read on the nodes)
    used = set(placed(done, p)['node'] for p in platforms)
    for key in ('a', 'b'):
        holder = token in du(client_of(pool, nodes[key], main_docker, docker2), nodes[key])
        assert holder == (nodes[key] in used), (key, used)

    plain = build(pool, ctx, tags=['%s/%s:plain' % (REGISTRY, repo)], placement='buildx', **common)
    assert plain['built'] and plain['placement'] == {'mode': 'buildx', 'applied': False, 'platforms': {},
                                                     'nodes_asked': {}, 'note': 'placement=buildx: buildx chooses the nodes',
                                                     'route': 'buildkitd socket'}  # both daemons are local
    plain_index = manifest(repo, 'plain')
    assert sorted('%s/%s' % (m['platform']['os'], m['platform']['architecture']) for m in plain_index['manifests']) == found
    assert [m['mediaType'] for m in plain_index['manifests']] == [m['mediaType'] for m in index['manifests']]
    assert plain_index['mediaType'] == index['mediaType']
    again = build(pool, ctx, tags=['%s/%s:placed' % (REGISTRY, repo)], **common)
    assert again['changed'] is False and 'placement' not in again  # skipped: no node was asked


def test_two_platform_oci_tarball_builds_on_one_placed_node(pool, main_docker, docker2):
    nodes = pool['nodes']
    token = unique('oci')
    ctx = context_dir(pool['work'], 'FROM scratch\nARG TARGETARCH\nCOPY bb-${TARGETARCH} /bin/busybox\n'
                                    'RUN ["/bin/busybox", "sh", "-c", "echo %s > /token"]\n' % token,
                      busyboxes=('amd64', 'arm64'))
    dest = str(pool['work'] / (token + '.oci.tar'))
    platforms = ['linux/amd64', 'linux/arm64']
    done = build(pool, ctx, platforms=platforms, outputs=[{'type': 'oci', 'dest': dest}])
    assert done['built'] and sorted(done['platform_digests']) == platforms  # read from the tarball
    node = placed(done, platforms[0])['node']
    assert placed(done, platforms[1])['node'] == node  # buildx cannot join tarballs across nodes: one node
    assert where(pool, token, main_docker, docker2) == [k for k in ('a', 'b') if nodes[k] == node]


def test_a_node_that_does_not_answer_is_skipped_within_the_bound(pool, tmp_path):
    """A third node on a socket that accepts and never answers: builds that hash to it fail over in time."""
    import socket
    import threading
    import time
    path = str(tmp_path / 'hang.sock')
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except socket.timeout:
                pass
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    store = tmp_path / 'buildx'
    (store / 'instances').mkdir(parents=True)
    with open(os.path.join(pool['store'], 'instances', pool['name'])) as handle:
        entry = json.load(handle)
    hang = pool['name'] + 'h'
    entry['Nodes'].append(dict(entry['Nodes'][0], Name=hang, Endpoint='unix://' + path))
    (store / 'instances' / pool['name']).write_text(json.dumps(entry))
    names = [pool['nodes']['a'], pool['nodes']['b'], hang]
    try:
        seen = set()
        for index in range(40):
            ctx = tmp_path / ('h%02d' % index)
            key = pl.placement_key(pool['name'], pl.identity(str(ctx), 'Dockerfile', ''), 'linux/amd64')
            first = pl.order(key, names)[0] == hang
            if first in seen:
                continue
            seen.add(first)
            made = context_dir(tmp_path, DOCKERFILE % unique('h'), {'src.txt': 'x\n'}, busyboxes=('amd64',))
            os.rename(str(made), str(ctx))
            started = time.monotonic()
            done = pool['run']('buildkit_build', builder=pool['name'], buildx_config=str(store), context=str(ctx),
                               platforms=['linux/amd64'], placement_timeout=3)
            assert not done['failed'], done
            decision = placed(done)
            assert decision['node'] in names[:2]
            if first:
                assert decision['reason'] == 'failover'
                assert decision['failover_from'] == [{'node': hang, 'state': 'no answer within 3s'}]
                assert time.monotonic() - started < 60
            else:
                assert decision['reason'] == 'affinity'
            if len(seen) == 2:
                break
        assert seen == {True, False}
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


def test_remote_pool_spreads_and_fails_over(tmp_path):
    """A remote-driver builder (buildkit_remote_builder) of two serving BuildKit nodes over mutual TLS, neither
    declaring platforms: builds spread over both, a stopped node is skipped (health through `buildx inspect` of a
    one-node view), and the build lands on the other."""
    from remote_support import make_pki, serve
    pki = make_pki(str(tmp_path / 'pki'))
    containers = []
    try:
        for base_url in (None, DOCKER2):
            containers.append(serve(pki, base_url=base_url))
        store = tmp_path / 'buildx'
        store.mkdir()
        run = AnsibleRunner(str(tmp_path), str(store))
        name = unique('rp')
        tls = {'servername': 'farm.local', 'ca_cert': pki['ca'], 'cert': pki['client'], 'key': pki['client_key']}
        nodes = [dict(tls, name=name + 'a', endpoint='tcp://127.0.0.1:%d' % containers[0][1]),
                 dict(tls, name=name + 'b', endpoint='tcp://127.0.0.1:%d' % containers[1][1])]
        made = run('buildkit_remote_builder', name=name, buildx_config=str(store), nodes=nodes)
        assert made['changed'] and not made['failed'], made
        holders = {name + 'a': containers[0][0], name + 'b': containers[1][0]}
        picked = {}
        for index in range(40):
            ctx = tmp_path / ('r%02d' % index)
            key = pl.placement_key(name, pl.identity(str(ctx), 'Dockerfile', ''), 'linux/amd64')
            first = pl.order(key, sorted(holders))[0]
            if first not in picked:
                picked[first] = ctx
            if len(picked) == 2:
                break
        tokens = {}
        for node, ctx in sorted(picked.items()):
            tokens[node] = unique('rt')
            made = context_dir(tmp_path, DOCKERFILE % tokens[node], {'src.txt': 'x\n'}, busyboxes=('amd64',))
            os.rename(str(made), str(ctx))
            done = run('buildkit_build', builder=name, buildx_config=str(store), context=str(ctx), platforms=['linux/amd64'])
            assert not done['failed'], done
            assert placed(done)['node'] == node and placed(done)['reason'] == 'affinity', done['placement']
        for node, holder in holders.items():
            held = holder.exec_run(['buildctl', 'du', '--verbose']).output.decode()
            assert tokens[node] in held and [t for n, t in tokens.items() if n != node][0] not in held
        stopped = sorted(holders)[0]
        holders[stopped].stop()
        ctx = picked[stopped]
        (ctx / 'src.txt').write_text('y\n')
        done = run('buildkit_build', builder=name, buildx_config=str(store), context=str(ctx), platforms=['linux/amd64'],
                   placement_timeout=5)
        assert not done['failed'], done
        assert placed(done)['node'] == sorted(holders)[1] and placed(done)['reason'] == 'failover'
        assert [s['node'] for s in placed(done)['failover_from']] == [stopped]
    finally:
        for container, _port in containers:
            container.remove(force=True)


def test_build_without_platforms_is_placed_on_the_first_nodes_platform(pool, main_docker, docker2):
    nodes = pool['nodes']
    token = unique('np')
    ctx = context_dir(pool['work'], DOCKERFILE % token, {'src.txt': 'x\n'}, busyboxes=('amd64',))
    key = pl.placement_key(pool['name'], pl.identity(str(ctx), 'Dockerfile', ''), 'linux/amd64')
    expected = pl.order(key, [nodes['a'], nodes['b']])[0]
    done = pool['run']('buildkit_build', builder=pool['name'], buildx_config=pool['store'], context=str(ctx))
    assert not done['failed'] and done['placement']['applied'], done
    assert list(done['placement']['platforms']) == ['linux/amd64']
    assert placed(done)['node'] == expected and '--platform' not in done['command']
    assert where(pool, token, main_docker, docker2) == [k for k in ('a', 'b') if nodes[k] == expected]


def test_bad_placement_inputs_name_the_option(pool, tmp_path):
    before = store_snapshot(pool['store'])
    ctx = context_dir(tmp_path, 'FROM scratch\n')
    bad = pool['run']('buildkit_build', builder=pool['name'], buildx_config=pool['store'], context=str(ctx),
                      placement_timeout=0)
    assert bad['failed'] and "placement_timeout" in bad['msg'] and "'0'" in bad['msg'], bad['msg']
    bad = pool['run']('buildkit_build', builder=pool['name'], buildx_config=pool['store'], context=str(ctx),
                      placement='nearest')
    assert bad['failed'] and 'placement' in bad['msg'] and 'nearest' in bad['msg'], bad['msg']
    assert store_snapshot(pool['store']) == before

"""buildkit_build placement (affinity) against plain buildx, on one pool of two linux/amd64 nodes, in one run.

The pool: a builder with node a on the main dockerd and node b on the second one (BUILDKIT_FLEET_DOCKER2_HOST),
neither declaring platforms, both running linux/amd64. Six builds (six contexts), each built twice: round 1 cold,
round 2 after one source file changed. Each build exists twice, with distinct RUN tokens, so the two sides never
share cache: built by the module with placement=affinity, by the same module with placement=buildx (buildx
chooses: the first node for every build) and by plain `docker buildx build --builder` in a shell task. All run
as Ansible ad hoc tasks, interleaved (the side that goes first rotates).

Printed: how many builds each node ran (read on the nodes: the RUN step holding each build's token in
`buildctl du`), executed and cached steps of round 2 (goal: every unchanged step cached), and the wall time of
round 2 per side with the ratios affinity/module-buildx (goal <= 1.0) and affinity/plain buildx. `--parallel` runs the six builds of a round at
once (as six CI jobs would), where spreading over two nodes can pay off; by default they run one after another."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from _support import COLLECTIONS, IMAGE, ansible, busybox_context

DOCKER2 = os.environ.get('BUILDKIT_FLEET_DOCKER2_HOST', 'unix:///run/buildkit-fleet/docker2.sock')
LOCAL = 'unix:///var/run/docker.sock'
sys.path.insert(0, COLLECTIONS)

from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as res  # noqa: E402

BUILDS = 6
# affinity: the module with placement=affinity; module-buildx: the same module with placement=buildx (buildx
# chooses, same module overhead); buildx: plain `docker buildx build` in an Ansible shell task
SIDES = ('affinity', 'module-buildx', 'buildx')
# a step that costs something (hashing 32 MB), then the source file and a step that reads it
DOCKERFILE = '''FROM scratch
COPY bb-amd64 /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox dd if=/dev/zero bs=1M count=32 2>/dev/null | /bin/busybox sha256sum > /heavy; echo %s > /token"]
COPY src.txt /src.txt
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cat /src.txt > /out"]
'''


def du(endpoint, node):
    proc = subprocess.run(['docker', '-H', endpoint, 'exec', 'buildx_buildkit_' + node, 'buildctl', 'du', '--verbose'],
                          capture_output=True, text=True, timeout=120, check=False)
    return proc.stdout


def make_context(work, side, index, token):
    return busybox_context(os.path.join(work, '%s-ctx%d' % (side, index)), DOCKERFILE % token, {'src.txt': 'round 1\n'})


# the module's own `timings` per placement, of the round being run
TIMINGS = {'affinity': [], 'buildx': []}


def run_module(store, name, build, placement):
    elapsed, result = ansible(store, 'buildkit.fleet.buildkit_build', json.dumps({
        'builder': name, 'buildx_config': store, 'context': build['ctx'], 'platforms': ['linux/amd64'],
        'provenance': 'false', 'placement': placement}))
    TIMINGS[placement].append(result.get('timings') or {})
    decision = result['placement']['platforms'].get('linux/amd64') or {}
    return elapsed, result['steps'], decision.get('node')


def run_placed(store, name, build):
    return run_module(store, name, build, 'affinity')


def run_module_buildx(store, name, build):
    return run_module(store, name, build, 'buildx')


def run_buildx(store, name, build):
    progress = build['ctx'] + '.progress'
    elapsed, _result = ansible(store, 'ansible.builtin.shell',
                               'docker buildx build --builder %s --platform linux/amd64 --provenance false '
                               '--progress rawjson %s 2> %s' % (name, build['ctx'], progress))
    with open(progress) as handle:
        steps = res.step_counts(res.parse_progress(handle.read()))
    return elapsed, steps, None


def run_round(store, name, builds, parallel, round_no):
    """{side: (wall time of the round, [steps], [nodes the module named])}; interleaved or all at once."""
    runners = dict(zip(SIDES, (run_placed, run_module_buildx, run_buildx)))
    found = dict((side, {'steps': [], 'named': [], 'times': []}) for side in runners)
    if parallel:
        for side in (SIDES if round_no % 2 else tuple(reversed(SIDES))):
            outs = [None] * len(builds[side])

            def one(i, build, side=side, outs=outs):
                outs[i] = runners[side](store, name, build)
            threads = [threading.Thread(target=one, args=(i, b)) for i, b in enumerate(builds[side])]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            found[side]['times'].append(time.monotonic() - started)
            for elapsed, steps, node in outs:
                found[side]['steps'].append(steps)
                found[side]['named'].append(node)
        return found
    for index in range(BUILDS):
        shift = (index + round_no) % len(SIDES)
        for side in SIDES[shift:] + SIDES[:shift]:  # the side that goes first rotates
            elapsed, steps, node = runners[side](store, name, builds[side][index])
            found[side]['times'].append(elapsed)
            found[side]['steps'].append(steps)
            found[side]['named'].append(node)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--parallel', action='store_true', help='run the six builds of a round at once')
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix='bench-placement-')
    store = os.path.join(work, 'buildx')
    os.makedirs(store)
    name = 'bpl%s' % uuid.uuid4().hex[:6]
    nodes = {'a': (name + 'a', LOCAL), 'b': (name + 'b', DOCKER2)}
    env = dict(os.environ, BUILDX_CONFIG=store)
    try:
        ansible(store, 'buildkit.fleet.buildkit_builder', json.dumps({
            'name': name, 'buildx_config': store, 'pull': False, 'driver_opts': {'image': IMAGE},
            'nodes': [{'name': nodes['a'][0], 'endpoint': LOCAL}, {'name': nodes['b'][0], 'endpoint': DOCKER2}]}))
        builds = {}
        for side in SIDES:
            builds[side] = []
            for index in range(BUILDS):
                token = 'tok%s' % uuid.uuid4().hex[:10]
                builds[side].append({'ctx': make_context(work, side, index, token), 'token': token})
        run_round(store, name, builds, options.parallel, 1)  # cold
        for side in builds:
            for build in builds[side]:
                with open(os.path.join(build['ctx'], 'src.txt'), 'w') as handle:
                    handle.write('round 2\n')
        for spent in TIMINGS.values():
            del spent[:]
        second = run_round(store, name, builds, options.parallel, 2)
        held = dict((key, du(endpoint, node)) for key, (node, endpoint) in nodes.items())
    finally:
        subprocess.run(['docker', 'buildx', 'rm', '-f', name], env=env, capture_output=True, timeout=300, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print('pool: 2 linux/amd64 nodes (main dockerd, second dockerd); %d builds x 2 rounds per side; %s' % (
        BUILDS, 'round builds at once' if options.parallel else 'builds one after another, interleaved'))
    walls = {}
    for side in SIDES:
        per_node = dict((key, sum(1 for b in builds[side] if b['token'] in held[key])) for key in nodes)
        steps = second[side]['steps']
        executed = sum(s['executed'] for s in steps)
        cached = sum(s['cached'] for s in steps)
        unchanged = sum(s['total'] for s in steps) - 2 * BUILDS  # COPY src.txt and the RUN after it change
        walls[side] = sum(second[side]['times'])
        print('  %-13s builds per node (read on the nodes): a=%d b=%d' % (side, per_node['a'], per_node['b']))
        print('  %-13s round 2 steps: executed %d, cached %d; unchanged steps cached: %d/%d (%.0f %%)' % (
            side, executed, cached, cached, unchanged, 100.0 * cached / unchanged if unchanged else 0))
        if options.parallel:
            print('  %-13s round 2 wall time: %.2fs (six builds at once)' % (side, walls[side]))
        else:
            print('  %-13s round 2 wall time: %.2fs (per build: %s)' % (
                side, walls[side], ', '.join('%.2f' % t for t in second[side]['times'])))
        if side == 'affinity':
            named = second[side]['named']
            agree = sum(1 for b, n in zip(builds[side], named) if b['token'] in held['a' if n == nodes['a'][0] else 'b'])
            print('  %-13s the module named the node that holds the build: %d/%d' % (side, agree, BUILDS))
    for placement, spent in sorted(TIMINGS.items()):
        steps = sorted(set(k for t in spent for k in t))
        print('  module timings, placement=%s (round 2 medians): %s' % (placement, ', '.join(
            '%s %.3f' % (k, statistics.median([t.get(k, 0) for t in spent])) for k in steps)))
    print('ratio round-2 wall time affinity/module-buildx: %.2fx (goal <= 1.0; the same module, buildx choosing)' % (
        walls['affinity'] / walls['module-buildx']))
    print('ratio round-2 wall time affinity/buildx:        %.2fx (plain docker buildx build in a shell task)' % (
        walls['affinity'] / walls['buildx']))


if __name__ == '__main__':
    main()

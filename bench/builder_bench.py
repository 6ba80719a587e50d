"""buildkit_builder against the buildx CLI, both run as Ansible ad hoc tasks (same Ansible overhead).

create: buildkit_builder (create + boot) vs `command: docker buildx create --bootstrap`
no-op:  buildkit_builder on a running builder vs `command: docker buildx inspect --bootstrap`

Interleaved rounds: in each round the module and buildx both create a builder of their own and converge or
inspect it again; the side that goes first alternates from round to round, so a slow moment of the (shared)
machine hits both. Prints the medians, the ratios module/buildx (target <= 1.0), the module's own `timings`
(medians) and the load average before and after. `--rounds N` (or BENCH_ROUNDS, default 7) sets the rounds;
one uncounted warm-up pair comes first."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '7'))
IMAGE = os.environ.get('BUILDKIT_FLEET_IMAGE', 'buildkit-fleet/buildkit:v0.32.2')
HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(os.path.dirname(HERE), 'tests', 'output', 'collections')
MODULE = 'buildkit.fleet.buildkit_builder'


def ansible(store, module, args):
    """(wall seconds, result dict) of one ad hoc task on localhost."""
    env = dict(os.environ, BUILDX_CONFIG=store, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', module, '-a', args,
           '-e', 'ansible_python_interpreter=' + sys.executable, '-o']
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s%s' % (module, proc.stdout[-3000:], proc.stderr[-3000:]))
    text = proc.stdout
    try:
        result = json.loads(text[text.index('{'):]) if '{' in text else {}
    except ValueError:
        result = {}
    return elapsed, result


def cleanup(store, name):
    subprocess.run(['docker', 'buildx', 'rm', name], env=dict(os.environ, BUILDX_CONFIG=store),
                   capture_output=True, timeout=120, check=False)
    subprocess.run('docker rm -f buildx_buildkit_{0}0; docker volume rm buildx_buildkit_{0}0_state'.format(name),
                   shell=True, capture_output=True, timeout=120, check=False)


def module_args(name, store):
    return json.dumps({'name': name, 'buildx_config': store, 'driver_opts': {'image': IMAGE}})


def module_side(store, name, times, timings):
    elapsed, result = ansible(store, MODULE, module_args(name, store))
    if not result.get('changed'):
        raise SystemExit('the module did not create builder %s: %s' % (name, result))
    times['module create'].append(elapsed)
    timings['create'].append(result.get('timings') or {})
    elapsed, result = ansible(store, MODULE, module_args(name, store))
    if result.get('changed'):
        raise SystemExit('the no-op converge of %s changed something: %s' % (name, result.get('actions')))
    times['module no-op'].append(elapsed)
    timings['no-op'].append(result.get('timings') or {})
    cleanup(store, name)


def buildx_side(store, name, times):
    times['buildx create --bootstrap'].append(ansible(store, 'ansible.builtin.command', (
        'docker buildx create --name %s --driver docker-container --driver-opt image=%s --bootstrap'
        % (name, IMAGE)))[0])
    times['buildx inspect --bootstrap'].append(
        ansible(store, 'ansible.builtin.command', 'docker buildx inspect --bootstrap %s' % name)[0])
    cleanup(store, name)


def median_timings(runs):
    keys = sorted(set(k for run in runs for k in run))
    return dict((k, round(statistics.median([run.get(k, 0.0) for run in runs]), 3)) for k in keys)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=ROUNDS)
    args = parser.parse_args()
    store = tempfile.mkdtemp(prefix='bench-buildx-')
    tag = uuid.uuid4().hex[:6]
    times = dict((k, []) for k in ('module create', 'buildx create --bootstrap', 'module no-op',
                                   'buildx inspect --bootstrap'))
    timings = {'create': [], 'no-op': []}
    load_before = os.getloadavg()
    # one warm-up pair, not counted (page cache, the image's layers, Ansible's own caches)
    module_side(store, 'benchw%sm' % tag, dict((k, []) for k in times), {'create': [], 'no-op': []})
    buildx_side(store, 'benchw%sx' % tag, dict((k, []) for k in times))
    for i in range(args.rounds):
        sides = [lambda: module_side(store, 'bench%s%dm' % (tag, i), times, timings),
                 lambda: buildx_side(store, 'bench%s%dx' % (tag, i), times)]
        for side in (sides if i % 2 == 0 else sides[::-1]):
            side()
    load_after = os.getloadavg()
    medians = dict((k, statistics.median(v)) for k, v in times.items())
    print('rounds: %d interleaved (each an Ansible ad hoc task on localhost); load average %s before, %s after'
          % (args.rounds, ' '.join('%.2f' % x for x in load_before), ' '.join('%.2f' % x for x in load_after)))
    for key in times:
        print('  %-28s median %.3fs  (all: %s)' % (key, medians[key], ', '.join('%.2f' % t for t in times[key])))
    print('  module timings (medians): create %s; no-op %s'
          % (json.dumps(median_timings(timings['create'])), json.dumps(median_timings(timings['no-op']))))
    print('ratio create  module/buildx: %.2fx (%.2f s vs %.2f s; target <= 1.0)' % (
        medians['module create'] / medians['buildx create --bootstrap'], medians['module create'],
        medians['buildx create --bootstrap']))
    print('ratio no-op   module/buildx: %.2fx (%.2f s vs %.2f s; target <= 1.0)' % (
        medians['module no-op'] / medians['buildx inspect --bootstrap'], medians['module no-op'],
        medians['buildx inspect --bootstrap']))


if __name__ == '__main__':
    main()

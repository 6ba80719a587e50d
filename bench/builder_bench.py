"""buildkit_builder against the buildx CLI, both run as Ansible ad hoc tasks (same Ansible overhead).

create: buildkit_builder (create + boot) vs `command: docker buildx create --bootstrap`
no-op:  buildkit_builder on a running builder vs `command: docker buildx inspect --bootstrap`
floor:  `command: /bin/true`, Ansible's own cost of such a task, paid by both sides

Interleaved rounds: in each round the module and buildx both create a builder of their own and converge or
inspect it again; the side that goes first alternates from round to round, so a slow moment of the (shared)
machine hits both. Prints the medians, the ratios module/buildx (target <= 1.0), the module's own `timings`
(medians), what each side spent above the floor, and the load average before and after. `--rounds N` (or
BENCH_ROUNDS, default 7) sets the rounds; one uncounted warm-up pair comes first."""
import argparse
import json
import statistics
import tempfile
import uuid

from _support import IMAGE, above_floor, ansible, env_rounds, load_average, remove_builder, show

ROUNDS = env_rounds(7)
MODULE = 'buildkit.fleet.buildkit_builder'
LOCAL = 'unix:///var/run/docker.sock'


def cleanup(store, name):
    remove_builder(name, store, endpoints=(LOCAL,))


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


def floor_side(store, times):
    times['floor (command: /bin/true)'].append(ansible(store, 'ansible.builtin.command', '/bin/true')[0])


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
                                   'buildx inspect --bootstrap', 'floor (command: /bin/true)'))
    timings = {'create': [], 'no-op': []}
    load_before = load_average()
    # one warm-up pair, not counted (page cache, the image's layers, Ansible's own caches)
    module_side(store, 'benchw%sm' % tag, dict((k, []) for k in times), {'create': [], 'no-op': []})
    buildx_side(store, 'benchw%sx' % tag, dict((k, []) for k in times))
    for i in range(args.rounds):
        sides = [lambda: module_side(store, 'bench%s%dm' % (tag, i), times, timings),
                 lambda: buildx_side(store, 'bench%s%dx' % (tag, i), times),
                 lambda: floor_side(store, times)]
        for side in (sides if i % 2 == 0 else sides[::-1]):
            side()
    load_after = load_average()
    medians = dict((k, statistics.median(v)) for k, v in times.items())
    print('rounds: %d interleaved (each an Ansible ad hoc task on localhost); load average %s before, %s after'
          % (args.rounds, load_before, load_after))
    for key in times:
        show(key, times[key], width=28)
    print('  module timings (medians): create %s; no-op %s'
          % (json.dumps(median_timings(timings['create'])), json.dumps(median_timings(timings['no-op']))))
    print('ratio create  module/buildx: %.2fx (%.2f s vs %.2f s; target <= 1.0)' % (
        medians['module create'] / medians['buildx create --bootstrap'], medians['module create'],
        medians['buildx create --bootstrap']))
    print('ratio no-op   module/buildx: %.2fx (%.2f s vs %.2f s; target <= 1.0)' % (
        medians['module no-op'] / medians['buildx inspect --bootstrap'], medians['module no-op'],
        medians['buildx inspect --bootstrap']))
    floor = medians['floor (command: /bin/true)']
    above_floor('create', medians['module create'], medians['buildx create --bootstrap'], floor)
    above_floor('no-op ', medians['module no-op'], medians['buildx inspect --bootstrap'], floor)


if __name__ == '__main__':
    main()

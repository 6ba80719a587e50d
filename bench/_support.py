"""What the benchmarks share: paths and settings, the Ansible ad hoc runner, timed commands, medians and ratios,
the load average and the removal of what a run made.

Each bench script runs as `python bench/<name>.py`, so this file imports as `_support`."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLLECTIONS = os.path.join(ROOT, 'tests', 'output', 'collections')
IMAGE = os.environ.get('BUILDKIT_FLEET_IMAGE', 'buildkit-fleet/buildkit:v0.32.2')
BUSYBOX_DIR = os.environ.get('BUILDKIT_FLEET_BUSYBOX_DIR', '/var/cache/buildkit-fleet/busybox')
QUIET = {'ANSIBLE_LOCALHOST_WARNING': '0', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0'}


def env_rounds(default):
    """The rounds of a bench: BENCH_ROUNDS, else `default`."""
    return int(os.environ.get('BENCH_ROUNDS', str(default)))


def ansible_env(store=None, **extra):
    """The environment of an Ansible run: the collection's tree, no localhost/inventory warnings, BUILDX_CONFIG=`store`
    when given, and `extra`."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, **QUIET)
    if store:
        env['BUILDX_CONFIG'] = store
    env.update(extra)
    return env


def run(cmd, what=None, env=None, timeout=600, **kwargs):
    """(wall seconds, completed process) of `cmd` (text output captured); SystemExit with the output's tails when it
    fails (`what` names it, else the command)."""
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s%s' % (what or ' '.join(cmd), proc.stdout[-3000:], proc.stderr[-3000:]))
    return elapsed, proc


def timed(cmd, env=None, **kwargs):
    """Wall seconds of `cmd` (see run)."""
    return run(cmd, env=env, **kwargs)[0]


def ansible(store, module, args, timeout=600, extra_env=None):
    """(wall seconds, result dict) of one ad hoc task of `module` on localhost (see ansible_env; `extra_env` adds
    variables). `args` is the module's arguments: a dict (sent as JSON) or a string. The result is the JSON of the
    one-line output ({} when there is none)."""
    cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', module,
           '-a', args if isinstance(args, str) else json.dumps(args),
           '-e', 'ansible_python_interpreter=' + sys.executable, '-o']
    elapsed, proc = run(cmd, module, env=ansible_env(store, **(extra_env or {})), timeout=timeout)
    text = proc.stdout
    return elapsed, json.loads(text[text.index('{'):]) if '{' in text else {}


def median(values):
    return statistics.median(values)


def show(label, values, width=44, digits=3):
    """One line: the label, the median and every value."""
    print('  %-*s median %.*fs  (all: %s)' % (width, label, digits, median(values), ', '.join('%.2f' % v for v in values)))


def ratio(label, numerator, denominator, goal=None, word='goal'):
    """Print `ratio <label> <numerator/denominator>x (<word> <= <goal>)`; returns the ratio."""
    value = numerator / denominator
    print('ratio %s %.2fx%s' % (label, value, ' (%s <= %s)' % (word, goal) if goal is not None else ''))
    return value


def above_floor(label, module, cli, floor):
    """Print what each side spent above Ansible's own cost (the floor: the same kind of run of `command: /bin/true`),
    medians in seconds; the whole-run ratio can move only within that part."""
    print('above the floor %s module %.3f s vs buildx %.3f s (floor %.3f s)' % (label, module - floor, cli - floor, floor))


def load_average():
    """The load average (1, 5, 15 minutes) as text, to print before and after the rounds of a shared machine."""
    return ' '.join('%.2f' % x for x in os.getloadavg())


def remove_builder(name, store=None, endpoints=(), node=None):
    """Remove what a bench made of a builder, never failing: `docker buildx rm --force` in the buildx store `store`
    (when given), and on each of the Docker `endpoints` the container and state volume of `node` (<name>0)."""
    if store:
        subprocess.run(['docker', 'buildx', 'rm', '--force', name], env=dict(os.environ, BUILDX_CONFIG=store),
                       capture_output=True, timeout=120, check=False)
    node = node or name + '0'
    for endpoint in endpoints:
        subprocess.run(['docker', '-H', endpoint, 'rm', '-f', 'buildx_buildkit_%s' % node],
                       capture_output=True, timeout=120, check=False)
        subprocess.run(['docker', '-H', endpoint, 'volume', 'rm', '-f', 'buildx_buildkit_%s_state' % node],
                       capture_output=True, timeout=120, check=False)


def remove_images(*tags):
    """`docker image rm -f` of the tags, never failing."""
    if tags:
        subprocess.run(['docker', 'image', 'rm', '-f'] + list(tags), capture_output=True, timeout=120, check=False)


def busybox_context(ctx, dockerfile, files=None):
    """Make the build context `ctx`: the amd64 busybox as bb-amd64, the Dockerfile text and `files` ({relative
    path: text}); returns ctx."""
    for name, text in dict(files or {}, Dockerfile=dockerfile).items():
        path = os.path.join(ctx, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(text)
    shutil.copy(os.path.join(BUSYBOX_DIR, 'bb-amd64'), os.path.join(ctx, 'bb-amd64'))
    return ctx

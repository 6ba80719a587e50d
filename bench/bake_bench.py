"""buildkit_bake against plain `docker buildx bake`, in one run, on the same builder, with the same 7-target file
(a group of two, a matrix of three, a base and a target that uses it through `target:`; six pushed to the local
registry, one loaded into Docker).

1. skip:    7 unchanged targets: the module (skips every target) vs a fully cached `docker buildx bake` of the
            same file; measured on the target (the module's own `duration` vs the wall time of bake); goal <= 0.2x.
            The same pair as Ansible ad hoc tasks is printed too.
2. changed: one file of one matrix item changed: the module (builds that target only) vs `docker buildx bake`
            of all 7 (the other six from the cache), both on the target; the rounds alternate which goes first.
Prints the medians and ratios. `--rounds N` (or BENCH_ROUNDS) sets the rounds."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '7'))
IMAGE = os.environ.get('BUILDKIT_FLEET_IMAGE', 'buildkit-fleet/buildkit:v0.32.2')
REGISTRY = os.environ.get('BUILDKIT_FLEET_REGISTRY', '127.0.0.1:5000')
BASE_IMAGE = os.environ.get('BUILDKIT_FLEET_BASE_IMAGE', REGISTRY + '/buildkit-fleet/base:busybox')
HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(os.path.dirname(HERE), 'tests', 'output', 'collections')

BAKE_FILE = '''variable "PREFIX" { default = "bkf-bench/%(uid)s" }
group "default" { targets = ["services", "item", "base", "app"] }
group "services" { targets = ["web", "api"] }
target "base" {
  context = "base"
  tags = ["%(registry)s/${PREFIX}-base:1"]
  output = ["type=registry"]
}
target "app" {
  context = "app"
  contexts = { base = "target:base" }
  tags = ["%(registry)s/${PREFIX}-app:1"]
  output = ["type=registry"]
}
target "web" {
  context = "web"
  args = { GREETING = "hello" }
  tags = ["${PREFIX}-web:1"]
  output = ["type=docker"]
}
target "api" {
  context = "api"
  tags = ["%(registry)s/${PREFIX}-api:1"]
  output = ["type=registry"]
}
target "item" {
  name = "item-${it}"
  matrix = { it = ["a", "b", "c"] }
  context = "items/${it}"
  tags = ["%(registry)s/${PREFIX}-item-${it}:1"]
  output = ["type=registry"]
}
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(text)


def make_project(root, uid):
    write(os.path.join(root, 'docker-bake.hcl'), BAKE_FILE % {'registry': REGISTRY, 'uid': uid})
    write(os.path.join(root, 'base', 'Dockerfile'), 'FROM %s\nCOPY . /base/\n' % BASE_IMAGE)
    write(os.path.join(root, 'app', 'Dockerfile'), 'FROM base\nCOPY . /app/\n')
    write(os.path.join(root, 'web', 'Dockerfile'), 'FROM %s\nARG GREETING\nRUN echo "$GREETING" > /g\nCOPY . /web/\n' % BASE_IMAGE)
    write(os.path.join(root, 'api', 'Dockerfile'), 'FROM %s\nCOPY . /api/\n' % BASE_IMAGE)
    for name in ('base', 'app', 'web', 'api'):
        write(os.path.join(root, name, 'f'), name + '\n')
    for item in 'abc':
        write(os.path.join(root, 'items', item, 'Dockerfile'), 'FROM %s\nCOPY . /item/\n' % BASE_IMAGE)
        write(os.path.join(root, 'items', item, 'f'), item + '\n')


def median(values):
    return statistics.median(values)


def show(label, values):
    print('  %-44s median %.3fs  (all: %s)' % (label, median(values), ', '.join('%.2f' % v for v in values)))


def ansible(store, args):
    env = dict(os.environ, BUILDX_CONFIG=store, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', 'buildkit.fleet.buildkit_bake',
           '-a', json.dumps(args), '-e', 'ansible_python_interpreter=' + sys.executable, '-o']
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit('buildkit_bake failed:\n%s%s' % (proc.stdout[-3000:], proc.stderr[-3000:]))
    text = proc.stdout
    return elapsed, json.loads(text[text.index('{'):])


def plain_env(store, uid):
    """bake's own runs push and load other tags (PREFIX), so that they do not replace the module's images."""
    return dict(os.environ, BUILDX_CONFIG=store, PREFIX='bkf-bench/%s-plain' % uid)


def ansible_bake(store, root, builder, uid):
    env = dict(plain_env(store, uid), ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', 'ansible.builtin.command',
           '-a', 'chdir=%s docker buildx bake --builder %s --file docker-bake.hcl' % (root, builder),
           '-e', 'ansible_python_interpreter=' + sys.executable, '-o']
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise SystemExit('bake (ansible) failed:\n%s' % proc.stdout[-3000:])
    return time.monotonic() - started


def bake(store, root, builder, uid):
    env = plain_env(store, uid)
    started = time.monotonic()
    proc = subprocess.run(['docker', 'buildx', 'bake', '--builder', builder, '--file', 'docker-bake.hcl'], cwd=root,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise SystemExit('bake failed:\n%s' % proc.stderr[-3000:])
    return time.monotonic() - started


def main():
    global ROUNDS  # pylint: disable=global-statement
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rounds', type=int, default=ROUNDS, help='rounds of each comparison (default %(default)s)')
    ROUNDS = parser.parse_args().rounds
    work = tempfile.mkdtemp(prefix='bench-bake-')
    store = os.path.join(work, 'buildx')
    os.makedirs(store)
    uid = uuid.uuid4().hex[:8]
    builder = 'bench%s' % uid
    root = os.path.join(work, 'project')
    make_project(root, uid)
    config = os.path.join(work, 'buildkitd.toml')
    write(config, '[registry."%s"]\n  http = true\n  insecure = true\n' % REGISTRY)
    env = dict(os.environ, BUILDX_CONFIG=store)
    subprocess.run(['docker', 'buildx', 'create', '--name', builder, '--driver', 'docker-container', '--driver-opt',
                    'image=%s,network=host' % IMAGE, '--buildkitd-config', config, '--bootstrap'],
                   env=env, check=True, capture_output=True, timeout=300)
    args = {'builder': builder, 'buildx_config': store, 'working_dir': root, 'files': ['docker-bake.hcl']}
    times = dict((k, []) for k in ('module skip (target)', 'bake cached (target)', 'module skip (ansible)',
                                   'bake cached (ansible)', 'module 1 of 7 changed (target)', 'bake 7, 1 changed (target)'))
    timings = []
    try:
        _elapsed, first = ansible(store, args)
        assert sorted(first['built_targets']) == ['api', 'app', 'base', 'item-a', 'item-b', 'item-c', 'web'], first
        bake(store, root, builder, uid)  # warm: everything cached
        for index in range(ROUNDS):
            pairs = [('module', lambda: ansible(store, args)), ('bake', lambda: (bake(store, root, builder, uid), None))]
            for kind, run in (pairs if index % 2 == 0 else pairs[::-1]):
                if kind == 'module':
                    elapsed, result = run()
                    assert result['built_targets'] == [] and not result['changed'], result
                    times['module skip (target)'].append(result['duration'])
                    times['module skip (ansible)'].append(elapsed)
                    timings.append(result['timings'])
                else:
                    times['bake cached (target)'].append(run()[0])
            times['bake cached (ansible)'].append(ansible_bake(store, root, builder, uid))
        for index in range(ROUNDS):
            # the module first, then bake (bake alone would make the module's run a skip)
            write(os.path.join(root, 'items', 'b', 'f'), 'b %d %s\n' % (index, uuid.uuid4().hex))
            _elapsed, result = ansible(store, args)
            assert result['built_targets'] == ['item-b'], result['built_targets']
            times['module 1 of 7 changed (target)'].append(result['duration'])
            write(os.path.join(root, 'items', 'b', 'f'), 'b %d %s\n' % (index, uuid.uuid4().hex))
            times['bake 7, 1 changed (target)'].append(bake(store, root, builder, uid))
    finally:
        subprocess.run(['docker', 'buildx', 'rm', '--force', builder], env=env, capture_output=True, check=False, timeout=120)
        subprocess.run(['docker', 'image', 'rm', '-f', 'bkf-bench/%s-web:1' % uid, 'bkf-bench/%s-plain-web:1' % uid],
                       capture_output=True, check=False, timeout=120)
        shutil.rmtree(work, ignore_errors=True)
    print('rounds: %d, one builder, 7 targets (6 pushed to %s, 1 loaded), the order alternates' % (ROUNDS, REGISTRY))
    for key, values in times.items():
        show(key, values)
    m = dict((k, median(v)) for k, v in times.items())
    print('module skip timings (medians, seconds on the target): %s' % ', '.join(
        '%s %.3f' % (k, median([t.get(k, 0) for t in timings])) for k in sorted(timings[0])))
    print('ratio skip     module/bake cached (target):  %.2fx (goal <= 0.2)' % (
        m['module skip (target)'] / m['bake cached (target)']))
    print('ratio skip     module/bake cached (ansible): %.2fx' % (m['module skip (ansible)'] / m['bake cached (ansible)']))
    print('ratio changed  module 1 of 7/bake of 7 (target): %.2fx' % (
        m['module 1 of 7 changed (target)'] / m['bake 7, 1 changed (target)']))


if __name__ == '__main__':
    main()

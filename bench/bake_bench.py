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
import os
import shutil
import subprocess
import tempfile
import uuid

from _support import IMAGE, ansible, env_rounds, median, ratio, remove_builder, remove_images, run, show

ROUNDS = env_rounds(7)
REGISTRY = os.environ.get('BUILDKIT_FLEET_REGISTRY', '127.0.0.1:5000')
BASE_IMAGE = os.environ.get('BUILDKIT_FLEET_BASE_IMAGE', REGISTRY + '/buildkit-fleet/base:busybox')
MODULE = 'buildkit.fleet.buildkit_bake'

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


def plain_prefix(uid):
    """bake's own runs push and load other tags (PREFIX), so that they do not replace the module's images."""
    return {'PREFIX': 'bkf-bench/%s-plain' % uid}


def ansible_bake(store, root, builder, uid):
    return ansible(store, 'ansible.builtin.command',
                   'chdir=%s docker buildx bake --builder %s --file docker-bake.hcl' % (root, builder),
                   extra_env=plain_prefix(uid))[0]


def bake(store, root, builder, uid):
    return run(['docker', 'buildx', 'bake', '--builder', builder, '--file', 'docker-bake.hcl'], 'bake', cwd=root,
               env=dict(os.environ, BUILDX_CONFIG=store, **plain_prefix(uid)))[0]


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
        _elapsed, first = ansible(store, MODULE, args)
        assert sorted(first['built_targets']) == ['api', 'app', 'base', 'item-a', 'item-b', 'item-c', 'web'], first
        bake(store, root, builder, uid)  # warm: everything cached
        for index in range(ROUNDS):
            pairs = [('module', lambda: ansible(store, MODULE, args)), ('bake', lambda: (bake(store, root, builder, uid), None))]
            for kind, side in (pairs if index % 2 == 0 else pairs[::-1]):
                if kind == 'module':
                    elapsed, result = side()
                    assert result['built_targets'] == [] and not result['changed'], result
                    times['module skip (target)'].append(result['duration'])
                    times['module skip (ansible)'].append(elapsed)
                    timings.append(result['timings'])
                else:
                    times['bake cached (target)'].append(side()[0])
            times['bake cached (ansible)'].append(ansible_bake(store, root, builder, uid))
        for index in range(ROUNDS):
            # the module first, then bake (bake alone would make the module's run a skip)
            write(os.path.join(root, 'items', 'b', 'f'), 'b %d %s\n' % (index, uuid.uuid4().hex))
            _elapsed, result = ansible(store, MODULE, args)
            assert result['built_targets'] == ['item-b'], result['built_targets']
            times['module 1 of 7 changed (target)'].append(result['duration'])
            write(os.path.join(root, 'items', 'b', 'f'), 'b %d %s\n' % (index, uuid.uuid4().hex))
            times['bake 7, 1 changed (target)'].append(bake(store, root, builder, uid))
    finally:
        remove_builder(builder, store)
        remove_images('bkf-bench/%s-web:1' % uid, 'bkf-bench/%s-plain-web:1' % uid)
        shutil.rmtree(work, ignore_errors=True)
    print('rounds: %d, one builder, 7 targets (6 pushed to %s, 1 loaded), the order alternates' % (ROUNDS, REGISTRY))
    for key, values in times.items():
        show(key, values)
    m = dict((k, median(v)) for k, v in times.items())
    print('module skip timings (medians, seconds on the target): %s' % ', '.join(
        '%s %.3f' % (k, median([t.get(k, 0) for t in timings])) for k in sorted(timings[0])))
    ratio('skip     module/bake cached (target): ', m['module skip (target)'], m['bake cached (target)'], goal=0.2)
    ratio('skip     module/bake cached (ansible):', m['module skip (ansible)'], m['bake cached (ansible)'])
    ratio('changed  module 1 of 7/bake of 7 (target):', m['module 1 of 7 changed (target)'],
          m['bake 7, 1 changed (target)'])


if __name__ == '__main__':
    main()

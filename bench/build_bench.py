"""buildkit_build against plain `docker buildx build`, in one run, on the same builder.

1. build:    the module (rebuild=always) vs `docker buildx build` with the same options, both with --no-cache,
             both as Ansible ad hoc tasks (same Ansible overhead); goal <= 1.05x.
2. skip:     the module with unchanged inputs (skips) vs a fully cached `docker buildx build`; measured on the
             target (the module's own `duration` vs the wall time of the buildx command); goal <= 0.2x.
             The same pair as Ansible tasks is printed too.
3. hash:     the fingerprint of a 20k-file / 500 MB context vs `sha256sum` over the same files (page cache warm);
             goal <= 1.5x. The context is generated under /tmp and deleted afterwards.
4. rebuild:  a real rebuild of a small context with one file changed, the image loaded into Docker: a playbook
             of one buildkit_build task vs a playbook of one `command: docker buildx build --load` task, whole
             `ansible-playbook` wall time, interleaved rounds (the order alternates); goal <= 1.0x.
             The module's `timings` are printed (medians) to show where its time goes, and what each side spent
             above a playbook of one `command: /bin/true` task (Ansible's own cost, paid by both).
Prints the medians and ratios. `--only rebuild` runs one part; `--rounds N` (or BENCH_ROUNDS) sets the rounds."""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

from _support import (above_floor, busybox_context, COLLECTIONS, IMAGE, ansible, ansible_env, env_rounds, median,
                      ratio, remove_builder, remove_images, run, show, timed)

ROUNDS = env_rounds(5)
HASH_FILES = int(os.environ.get('BENCH_HASH_FILES', '20000'))
HASH_BYTES = int(os.environ.get('BENCH_HASH_BYTES', str(500 * 1024 * 1024)))
sys.path.insert(0, COLLECTIONS)

from ansible_collections.buildkit.fleet.plugins.module_utils._build import fingerprint as fpr  # noqa: E402

DOCKERFILE = '''FROM scratch
COPY bb-amd64 /bin/busybox
COPY data/ /data/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox find /data -type f | /bin/busybox xargs /bin/busybox sha256sum > /sums"]
'''


def write_tree(root, files, total_bytes, dirs=100):
    size = max(1, total_bytes // files)
    chunk = os.urandom(1 << 20)
    for i in range(files):
        directory = os.path.join(root, 'd%03d' % (i % dirs))
        if i < dirs:
            os.makedirs(directory)
        offset = (i * 7919) % (len(chunk) - 64)
        data = (chunk[offset:] + chunk)[:size - 8] + i.to_bytes(8, 'little')
        with open(os.path.join(directory, 'f%05d.bin' % i), 'wb') as handle:
            handle.write(data)


def bench_builds(work, store):
    name = 'bench%s' % uuid.uuid4().hex[:6]
    ctx = busybox_context(os.path.join(work, 'ctx'), DOCKERFILE)
    os.makedirs(os.path.join(ctx, 'data'))
    write_tree(os.path.join(ctx, 'data'), 2000, 50 * 1024 * 1024, dirs=20)
    env = dict(os.environ, BUILDX_CONFIG=store)
    ansible(store, 'buildkit.fleet.buildkit_builder',
            json.dumps({'name': name, 'buildx_config': store, 'pull': False, 'driver_opts': {'image': IMAGE}}))
    try:
        out_mod, out_bx = os.path.join(work, 'module.tar'), os.path.join(work, 'buildx.tar')
        margs = {'builder': name, 'buildx_config': store, 'context': ctx, 'provenance': 'false',
                 'outputs': [{'type': 'oci', 'dest': out_mod}]}
        buildx = ['docker', 'buildx', 'build', '--builder', name, '--provenance', 'false', '--progress', 'quiet',
                  '--output', 'type=oci,dest=' + out_bx, ctx]
        ansible(store, 'buildkit.fleet.buildkit_build', json.dumps(margs))  # warm up: context synced, cache filled
        timed(buildx, env)
        times = dict((k, []) for k in ('module build', 'buildx build', 'module skip (target)', 'buildx cached (target)',
                                       'module skip (ansible)', 'buildx cached (ansible)'))
        cmd_text = ' '.join(buildx)
        for round_no in range(ROUNDS):  # pylint: disable=unused-variable
            elapsed, _result = ansible(store, 'buildkit.fleet.buildkit_build',
                                       json.dumps(dict(margs, rebuild='always', no_cache=True,
                                                       outputs=[{'type': 'oci', 'dest': out_mod + '.nocache'}])))
            times['module build'].append(elapsed)
            times['buildx build'].append(ansible(store, 'ansible.builtin.command', cmd_text.replace(
                'build --builder', 'build --no-cache --builder'))[0])
            elapsed, result = ansible(store, 'buildkit.fleet.buildkit_build', json.dumps(margs))
            if result.get('changed') or result.get('built'):
                raise SystemExit('the module did not skip: %s' % result.get('reason'))
            times['module skip (ansible)'].append(elapsed)
            times['module skip (target)'].append(result['duration'])
            times['buildx cached (ansible)'].append(ansible(store, 'ansible.builtin.command', cmd_text)[0])
            times['buildx cached (target)'].append(timed(buildx, env))
        return times
    finally:
        remove_builder(name, store)


REBUILD_DOCKERFILE = '''FROM scratch
COPY bb-amd64 /bin/busybox
COPY app/ /app/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cat /app/* | /bin/busybox sha256sum > /app.sum"]
'''


def playbook(work, name, task):
    path = os.path.join(work, name + '.yml')
    with open(path, 'w') as handle:
        json.dump([{'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
                    'vars': {'ansible_python_interpreter': sys.executable}, 'tasks': [task]}], handle)
    return path


def run_playbook(store, path):
    """Wall seconds of the whole ansible-playbook run, and the task's result (json callback)."""
    elapsed, proc = run(['ansible-playbook', '-i', 'localhost,', path], path,
                        env=ansible_env(store, ANSIBLE_STDOUT_CALLBACK='json'))
    out = json.loads(proc.stdout[proc.stdout.index('{'):])
    return elapsed, out['plays'][0]['tasks'][0]['hosts']['localhost']


def bench_rebuild(work, store, rounds):
    name = 'benchr%s' % uuid.uuid4().hex[:6]
    ctx = busybox_context(os.path.join(work, 'small'), REBUILD_DOCKERFILE,
                          dict(('app/f%02d.txt' % i, 'file %d\n' % i * 50) for i in range(20)))
    ansible(store, 'buildkit.fleet.buildkit_builder',
            json.dumps({'name': name, 'buildx_config': store, 'pull': False, 'driver_opts': {'image': IMAGE}}))
    tags = {'module': 'bench-rebuild-module:%s' % name, 'buildx': 'bench-rebuild-buildx:%s' % name}
    plays = {
        'module': playbook(work, 'module', {'buildkit.fleet.buildkit_build': {
            'builder': name, 'context': ctx, 'tags': [tags['module']], 'outputs': [{'type': 'load'}]}}),
        'buildx': playbook(work, 'buildx', {'ansible.builtin.command': 'docker buildx build --builder %s --load -t %s %s'
                                            % (name, tags['buildx'], ctx)}),
        'floor': playbook(work, 'floor', {'ansible.builtin.command': '/bin/true'}),
    }
    changed = os.path.join(ctx, 'app', 'f07.txt')
    stamp = [0]

    def change_one_file():
        stamp[0] += 1
        with open(changed, 'w') as handle:
            handle.write('changed %d %s\n' % (stamp[0], uuid.uuid4().hex))
    try:
        for side in ('module', 'buildx', 'floor'):  # warm up: base layers cached, the context synced once
            change_one_file()
            run_playbook(store, plays[side])
        times = {'module rebuild (playbook)': [], 'buildx rebuild (playbook)': [], 'floor rebuild (playbook)': []}
        timings = {}
        for round_no in range(rounds):
            order = ('module', 'buildx', 'floor') if round_no % 2 == 0 else ('floor', 'buildx', 'module')
            for side in order:
                change_one_file()
                elapsed, result = run_playbook(store, plays[side])
                times['%s rebuild (playbook)' % side].append(elapsed)
                if side == 'module':
                    if not result.get('built'):
                        raise SystemExit('the module did not build: %s' % result.get('reason'))
                    for key, value in dict(result.get('timings') or {}, duration=result['duration']).items():
                        timings.setdefault(key, []).append(value)
        print('module timings (medians, seconds on the target): %s' % ', '.join(
            '%s %.3f' % (key, median(values)) for key, values in timings.items()))
        return times
    finally:
        remove_builder(name, store)
        remove_images(*tags.values())


def bench_hash(work):
    root = os.path.join(work, 'big')
    os.makedirs(root)
    started = time.monotonic()
    write_tree(root, HASH_FILES, HASH_BYTES)
    print('generated %d files / %d MB in %.1fs' % (HASH_FILES, HASH_BYTES >> 20, time.monotonic() - started))
    times = {'fingerprint (tree_digest)': [], 'find | xargs sha256sum': []}
    sha = ['sh', '-c', 'cd "$0" && find . -type f -print0 | xargs -0 sha256sum > /dev/null', root]
    timed(sha)  # page cache warm for both
    for round_no in range(3):  # pylint: disable=unused-variable
        started = time.monotonic()
        _digest, count = fpr.tree_digest(root, [])
        times['fingerprint (tree_digest)'].append(time.monotonic() - started)
        times['find | xargs sha256sum'].append(timed(sha))
    assert count == HASH_FILES + 100
    return times


def main():
    global ROUNDS  # pylint: disable=global-statement
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rounds', type=int, default=ROUNDS, help='rounds of each comparison (default %(default)s)')
    parser.add_argument('--only', choices=['build', 'hash', 'rebuild'], action='append',
                        help='run only these parts (build = build and skip); may be given more than once')
    options = parser.parse_args()
    parts = options.only or ['build', 'hash', 'rebuild']
    ROUNDS = options.rounds
    work = tempfile.mkdtemp(prefix='bench-build-')
    store = os.path.join(work, 'buildx')
    os.makedirs(store)
    builds, hashes, rebuilds = {}, {}, {}
    try:
        if 'rebuild' in parts:
            rebuilds = bench_rebuild(work, store, ROUNDS)
        if 'build' in parts:
            builds = bench_builds(work, store)
        if 'hash' in parts:
            hashes = bench_hash(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print('rounds: %d, one builder; build/skip: context 2000 files / 50 MB; rebuild: 21 small files + busybox' % ROUNDS)
    for key, values in list(builds.items()) + list(hashes.items()) + list(rebuilds.items()):
        show(key, values)
    m = dict((k, median(v)) for k, v in list(builds.items()) + list(hashes.items()) + list(rebuilds.items()))
    if builds:
        ratio('build   module/buildx (ansible tasks):     ', m['module build'], m['buildx build'], goal=1.05)
        ratio('skip    module skip/buildx cached (target):', m['module skip (target)'], m['buildx cached (target)'], goal=0.2)
        ratio('skip    module skip/buildx cached (ansible):', m['module skip (ansible)'], m['buildx cached (ansible)'])
    if hashes:
        ratio('hash    fingerprint/sha256sum:             ', m['fingerprint (tree_digest)'], m['find | xargs sha256sum'],
              goal=1.5)
    if rebuilds:
        pairs = [a / b for a, b in zip(rebuilds['module rebuild (playbook)'], rebuilds['buildx rebuild (playbook)'])]
        print('ratio rebuild module/buildx (whole playbook):     %.2fx (%.2f s vs %.2f s; goal <= 1.0); '
              'median of the rounds\' own ratios %.2fx' % (
                  m['module rebuild (playbook)'] / m['buildx rebuild (playbook)'], m['module rebuild (playbook)'],
                  m['buildx rebuild (playbook)'], median(pairs)))
        above_floor('rebuild', m['module rebuild (playbook)'], m['buildx rebuild (playbook)'],
                    m['floor rebuild (playbook)'])


if __name__ == '__main__':
    main()

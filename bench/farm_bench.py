"""The build farm (buildkit.fleet.farm) against a local build on the serving host, in one run.

A farm of two hosts on this machine (connection local): farm-a on the main dockerd (linux/amd64), farm-b on the
second one (BUILDKIT_FLEET_DOCKER2_HOST, linux/arm64), converged once by the role. One build (a step that costs
something, then a copy of a source file) is built once through the farm to warm it. Then, per round:

- local: the same build on farm-a's serving builder from the serving host itself (`docker buildx build --builder
  <farm builder>` with the host's buildx store: the docker-container driver, through `docker exec`), warm;
- client: a fresh client (an empty buildx store) gets the farm with one task (`include_role: buildkit.fleet.farm,
  tasks_from: client`, timed as the whole ansible-playbook run), then runs the same no-change rebuild through the
  farm (`docker buildx build --builder farm`, the remote driver over mutual TLS).

The two sides alternate (the first rotates). Printed: medians of the rebuilds and their ratio client/local (target
<= 1.5), the median time for a client to get the farm, and each round's numbers.
    python bench/farm_bench.py [--rounds 5]"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

from _support import IMAGE, busybox_context, ansible_env, median, remove_builder, run

DOCKER2 = os.environ.get('BUILDKIT_FLEET_DOCKER2_HOST', 'unix:///run/buildkit-fleet/docker2.sock')
LOCAL = 'unix:///var/run/docker.sock'
DOCKERFILE = '''FROM scratch
COPY bb-amd64 /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox dd if=/dev/zero bs=1M count=64 2>/dev/null | /bin/busybox sha256sum > /heavy; echo %s > /token"]
COPY src.txt /src.txt
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cat /src.txt > /out"]
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def playbook(work, inventory, plays, name):
    path = os.path.join(work, name + '.yml')
    with open(path, 'w') as handle:
        json.dump(plays, handle)
    return run(['ansible-playbook', '-i', inventory, path], name, env=ansible_env(ANSIBLE_NOCOLOR='1', ANSIBLE_FORKS='5'),
               timeout=900, stdin=subprocess.DEVNULL)[0]


def build(store, builder, ctx, platform='linux/amd64'):
    elapsed, proc = run(['docker', 'buildx', 'build', '--builder', builder, '--platform', platform, '--progress', 'plain',
                         ctx], 'build on %s' % builder, env=dict(os.environ, BUILDX_CONFIG=store))
    return elapsed, proc.stderr


def cached_everything(log):
    """Every RUN/COPY step of a plain-progress log was CACHED."""
    import re
    steps = set(re.findall(r'^#(\d+) \[[^\]]*\d+/\d+\] (?:RUN|COPY)', log, re.M))
    return bool(steps) and all(re.search(r'^#%s CACHED' % s, log, re.M) for s in steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()
    prefix = 'fb%s' % uuid.uuid4().hex[:6]
    work = tempfile.mkdtemp(prefix='farm-bench-')
    builder = prefix + 'farm'
    hosts = {
        'farm-a': {'ansible_host': '127.0.0.1', 'farm_port': free_port(), 'farm_platforms': ['linux/amd64'],
                   'farm_docker_host': LOCAL, 'farm_tls_dir': os.path.join(work, 'a', 'tls'),
                   'farm_buildx_config': os.path.join(work, 'a', 'buildx')},
        'farm-b': {'ansible_host': '127.0.0.1', 'farm_port': free_port(), 'farm_platforms': ['linux/arm64'],
                   'farm_docker_host': DOCKER2, 'farm_tls_dir': os.path.join(work, 'b', 'tls'),
                   'farm_buildx_config': os.path.join(work, 'b', 'buildx')},
    }
    role_vars = {'farm_pki_dir': os.path.join(work, 'pki'), 'farm_builder_name': builder,
                 'farm_builder_options': {'pull': False, 'driver_opts': {'image': IMAGE}}}
    inventory = os.path.join(work, 'inventory.json')
    with open(inventory, 'w') as handle:
        json.dump({'all': {'children': {'farm': {'hosts': hosts}}, 'hosts': {'controller': {}},
                           'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}, handle)
    ctx = busybox_context(os.path.join(work, 'ctx'), DOCKERFILE % prefix, {'src.txt': 'unchanged\n'})

    def client_play(store):
        client_vars = dict(role_vars, farm_client_buildx_config=store, farm_client_tls_dir=store + '-tls',
                           farm_client_name='bench-client', farm_client_builder='farm')
        return [{'hosts': 'controller', 'gather_facts': False, 'tasks': [{
            'name': 'The farm as a buildx builder', 'ansible.builtin.include_role': {'name': 'buildkit.fleet.farm', 'tasks_from': 'client'},
            'vars': client_vars}]}]

    try:
        converge = playbook(work, inventory, [{'hosts': 'farm', 'gather_facts': False, 'tasks': [{
            'name': 'farm', 'ansible.builtin.include_role': {'name': 'buildkit.fleet.farm'}, 'vars': role_vars}]}], 'farm')
        print('farm converged (2 hosts, certificates, serving builders) in %.1fs' % converge)
        warm_store = os.path.join(work, 'client-warm')
        playbook(work, inventory, client_play(warm_store), 'client-warm')
        cold, _log = build(warm_store, 'farm', ctx)
        print('first build through the farm (cold) %.1fs' % cold)
        local_store = hosts['farm-a']['farm_buildx_config']
        rows = []
        for index in range(args.rounds):
            store = os.path.join(work, 'client%d' % index)
            order = ('local', 'client') if index % 2 == 0 else ('client', 'local')
            row = {}
            for side in order:
                if side == 'local':
                    row['local'], log = build(local_store, builder, ctx)
                else:
                    row['get_farm'] = playbook(work, inventory, client_play(store), 'client%d' % index)
                    row['client'], log = build(store, 'farm', ctx)
                if not cached_everything(log):
                    raise SystemExit('the %s rebuild was not fully cached:\n%s' % (side, log[-3000:]))
            rows.append(row)
            print('round %d: local %.2fs  client %.2fs  (client got the farm in %.1fs)'
                  % (index + 1, row['local'], row['client'], row['get_farm']))
        local = median([r['local'] for r in rows])
        client = median([r['client'] for r in rows])
        get_farm = median([r['get_farm'] for r in rows])
        print('no-change rebuild, median of %d: local on the serving host %.2fs, fresh client through the farm %.2fs, '
              'ratio client/local %.2f (target <= 1.5)' % (len(rows), local, client, client / local))
        print('a fresh client gets the farm (one task, whole ansible-playbook run): median %.1fs' % get_farm)
    finally:
        remove_builder(builder, endpoints=(LOCAL, DOCKER2))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()

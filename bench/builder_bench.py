"""buildkit_builder against the buildx CLI, both run as Ansible tasks (same Ansible overhead).

create: buildkit_builder (create + boot) vs `command: docker buildx create --bootstrap`
no-op:  buildkit_builder on a running builder vs `command: docker buildx inspect`
Prints the median seconds of each and the ratio module/buildx (target <= 1.0)."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '5'))
IMAGE = os.environ.get('BUILDKIT_FLEET_IMAGE', 'buildkit-fleet/buildkit:v0.32.2')
HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(os.path.dirname(HERE), 'tests', 'output', 'collections')


def ansible(store, module, args):
    env = dict(os.environ, BUILDX_CONFIG=store, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', module, '-a', args,
           '-e', 'ansible_python_interpreter=' + sys.executable]
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s%s' % (module, proc.stdout, proc.stderr))
    return elapsed


def cleanup(store, name):
    subprocess.run(['docker', 'buildx', 'rm', name], env=dict(os.environ, BUILDX_CONFIG=store),
                   capture_output=True, timeout=120, check=False)
    subprocess.run('docker rm -f buildx_buildkit_{0}0; docker volume rm buildx_buildkit_{0}0_state'.format(name),
                   shell=True, capture_output=True, timeout=120, check=False)


def module_args(name, store):
    return json.dumps({'name': name, 'buildx_config': store, 'driver_opts': {'image': IMAGE}})


def main():
    store = tempfile.mkdtemp(prefix='bench-buildx-')
    times = {'module create': [], 'buildx create --bootstrap': [], 'module no-op': [], 'buildx inspect': []}
    for i in range(ROUNDS):
        name = 'benchm%d' % i
        times['module create'].append(ansible(store, 'buildkit.fleet.buildkit_builder', module_args(name, store)))
        times['module no-op'].append(ansible(store, 'buildkit.fleet.buildkit_builder', module_args(name, store)))
        cleanup(store, name)
        name = 'benchx%d' % i
        times['buildx create --bootstrap'].append(ansible(store, 'ansible.builtin.command', (
            'docker buildx create --name %s --driver docker-container --driver-opt image=%s --bootstrap' % (name, IMAGE))))
        times['buildx inspect'].append(ansible(store, 'ansible.builtin.command', 'docker buildx inspect %s' % name))
        cleanup(store, name)
    medians = dict((k, statistics.median(v)) for k, v in times.items())
    print('rounds: %d (each an Ansible ad hoc task on localhost)' % ROUNDS)
    for key, value in medians.items():
        print('  %-28s median %.3fs  (all: %s)' % (key, value, ', '.join('%.2f' % t for t in times[key])))
    print('ratio create  module/buildx: %.2fx (target <= 1.0)' % (medians['module create'] / medians['buildx create --bootstrap']))
    print('ratio no-op   module/buildx: %.2fx (target <= 1.0)' % (medians['module no-op'] / medians['buildx inspect']))


if __name__ == '__main__':
    main()

"""The builder role (qemu + network + one builder) against a hand-written read-only playbook, both
ansible-playbook runs on localhost (same Ansible overhead). Prints medians and ratios; not a timed test.

no-op:  the converged builder role vs three `command:` tasks reading the same three things
        (the binfmt_misc handlers, the network, the builder)      target <= 1.5x
check:  the builder role in check mode over 20 builders vs 1 builder (one buildkit_builders run)  target <= 2x
binfmt_misc is only read (the harness's handlers are adopted); run under
`flock -s -w 1800 /tmp/buildkit-fleet-binfmt.lock`."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '5'))
IMAGE = os.environ.get('BUILDKIT_FLEET_IMAGE', 'buildkit-fleet/buildkit:v0.32.2')
HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(os.path.dirname(HERE), 'tests', 'output', 'collections')
PREFIX = 'benchfleet'
PLATFORMS = ['linux/arm64', 'linux/riscv64']


def role_vars(work, builders):
    return {'builder_qemu': True, 'qemu_platforms': PLATFORMS, 'qemu_binfmt_dir': os.path.join(work, 'binfmt.d'),
            'qemu_state_file': os.path.join(work, 'qemu.json'), 'builder_buildx_config': os.path.join(work, 'buildx'),
            'builder_local_fact': '',   # a shared machine: no /etc/ansible/facts.d entry
            'buildkit_networks': [{'name': PREFIX + '-net', 'subnet': '10.233.0.0/24'}],
            'buildkit_builders': [{'name': '%s-%d' % (PREFIX, i), 'network': PREFIX + '-net', 'pull': False,
                                   'driver_opts': {'image': IMAGE}} for i in range(builders)]}


def play(work, name, tasks, check=False):
    path = os.path.join(work, name + '.yml')
    with open(path, 'w') as handle:
        json.dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, BUILDX_CONFIG=os.path.join(work, 'buildx'),
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    cmd = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', path, '-e', 'ansible_python_interpreter=' + sys.executable]
    started = time.monotonic()
    proc = subprocess.run(cmd + (['--check'] if check else []), env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s%s' % (name, proc.stdout[-4000:], proc.stderr[-2000:]))
    if 'changed=0' not in proc.stdout.splitlines()[-2] and name == 'role-noop':
        raise SystemExit('the converged role changed something:\n' + proc.stdout[-4000:])
    return elapsed


def role_task(work, builders):
    return [{'name': 'builder role', 'ansible.builtin.include_role': {'name': 'buildkit.fleet.builder'},
             'vars': role_vars(work, builders)}]


READ_ONLY = [
    {'name': 'handlers', 'ansible.builtin.command': 'cat /proc/sys/fs/binfmt_misc/qemu-aarch64 /proc/sys/fs/binfmt_misc/qemu-riscv64',
     'changed_when': False},
    {'name': 'network', 'ansible.builtin.command': 'docker network inspect %s-net' % PREFIX, 'changed_when': False},
    {'name': 'builder', 'ansible.builtin.command': 'docker buildx inspect %s-0' % PREFIX, 'changed_when': False},
]


def cleanup(work):
    subprocess.run('docker rm -f $(docker ps -aq --filter name=^buildx_buildkit_%s-) ; '
                   'docker volume rm $(docker volume ls -q --filter name=^buildx_buildkit_%s-) ; '
                   'docker network rm %s-net' % (PREFIX, PREFIX, PREFIX),
                   shell=True, capture_output=True, timeout=300, check=False)
    shutil.rmtree(work, ignore_errors=True)


def main():
    work = tempfile.mkdtemp(prefix='bench-fleet-')
    times = {'role no-op': [], 'read-only commands': [], 'check 1 builder': [], 'check 20 builders': []}
    try:
        play(work, 'converge', role_task(work, 1))
        for _round in range(ROUNDS):
            times['role no-op'].append(play(work, 'role-noop', role_task(work, 1)))
            times['read-only commands'].append(play(work, 'read-only', READ_ONLY))
            times['check 1 builder'].append(play(work, 'check-1', role_task(work, 1), check=True))
            times['check 20 builders'].append(play(work, 'check-20', role_task(work, 20), check=True))
    finally:
        cleanup(work)
    medians = dict((k, statistics.median(v)) for k, v in times.items())
    print('rounds: %d (ansible-playbook on localhost, gather_facts: false)' % ROUNDS)
    for key, value in medians.items():
        print('  %-20s median %.2fs  (all: %s)' % (key, value, ', '.join('%.2f' % t for t in times[key])))
    print('ratio no-op  role/read-only commands: %.2fx (target <= 1.5)' % (medians['role no-op'] / medians['read-only commands']))
    print('ratio check  20 builders/1 builder:   %.2fx (target <= 2.0)' % (medians['check 20 builders'] / medians['check 1 builder']))


if __name__ == '__main__':
    main()

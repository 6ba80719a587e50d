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
import subprocess
import sys
import tempfile

from _support import IMAGE, ansible_env, env_rounds, median, ratio, run, show

ROUNDS = env_rounds(5)
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
    cmd = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', path, '-e', 'ansible_python_interpreter=' + sys.executable]
    elapsed, proc = run(cmd + (['--check'] if check else []), name, env=ansible_env(os.path.join(work, 'buildx')),
                        timeout=900)
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
    medians = dict((k, median(v)) for k, v in times.items())
    print('rounds: %d (ansible-playbook on localhost, gather_facts: false)' % ROUNDS)
    for key, values in times.items():
        show(key, values, width=20, digits=2)
    ratio('no-op  role/read-only commands:', medians['role no-op'], medians['read-only commands'], goal=1.5, word='target')
    ratio('check  20 builders/1 builder:  ', medians['check 20 builders'], medians['check 1 builder'], goal=2.0,
          word='target')


if __name__ == '__main__':
    main()

"""No-op converge of the SSH fleet (extensions/molecule/sshfleet, the README's SSH inventory: wheelhouse, buildx
binary and image tarball set) against a hand-written playbook of read-only checks of the same facts over the same
SSH connections (same inventory, ansible.cfg, control sockets).

Brings the fleet up with `molecule converge -s sshfleet` (create, prepare, converge), then, interleaved, times
  role:       the converge playbook when nothing changes (qemu one host at a time, then the builder role)
  read-only:  the binfmt_misc handler (one host at a time, as the qemu play), then `command:` tasks reading the
              Docker SDK of the module interpreter, the buildx plugin's version, the BuildKit image, the network
              and the builder                                                  target: role <= 1.5x read-only
Prints medians in seconds and the ratio; a printout, not a timed test.
BENCH_ROUNDS (default 3); BENCH_KEEP=1 leaves the fleet up (else `molecule destroy`)."""
import glob
import json
import os
import re
import sys
import tempfile

from _support import ROOT, ansible_env, env_rounds, median, run

ROUNDS = env_rounds(3)
SCENARIO = os.path.join(ROOT, 'extensions', 'molecule', 'sshfleet')
ENV = ansible_env(ANSIBLE_FORCE_COLOR='0')
IMAGE = 'buildkit-fleet/buildkit:v0.32.2'


def _command(name, argv):
    return {'name': name, 'ansible.builtin.command': {'argv': argv}, 'changed_when': False}


READ_ONLY = [
    {'name': 'Read the emulator, one host at a time', 'hosts': 'fleet', 'serial': 1, 'gather_facts': False,
     'tasks': [_command('binfmt_misc handler', ['cat', '/proc/sys/fs/binfmt_misc/qemu-aarch64'])]},
    {'name': 'Read the SDK, buildx, image, network and builder', 'hosts': 'fleet', 'gather_facts': False,
     'tasks': [
         _command('Docker SDK >= 7 of the module interpreter', [
             '/opt/buildkit-fleet/venv/bin/python', '-c', 'import docker; assert int(docker.__version__.split(".")[0]) >= 7']),
         _command('buildx plugin version', ['/usr/local/lib/docker/cli-plugins/docker-buildx', 'version']),
         _command('BuildKit image', ['docker', 'image', 'inspect', IMAGE]),
         _command('network', ['docker', 'network', 'inspect', 'fleet-net']),
         _command('builder', ['docker', 'buildx', 'inspect', 'fleet-b']),
     ]},
]


def molecule(action):
    run(['molecule', action, '-s', 'sshfleet'], 'molecule %s' % action, cwd=ROOT, env=ENV, timeout=1800)


def playbook(ephemeral, path):
    """Seconds of one run; fails unless every host reports changed=0 and failed=0."""
    env = dict(ENV, ANSIBLE_CONFIG=os.path.join(ephemeral, 'ansible.cfg'), MOLECULE_EPHEMERAL_DIRECTORY=ephemeral)
    cmd = ['ansible-playbook', '-i', os.path.join(ephemeral, 'inventory'), path]
    elapsed, proc = run(cmd, path, cwd=ROOT, env=env, timeout=900)
    recap = re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+).*failed=(\d+)', proc.stdout, re.M)
    if not recap or any(c != '0' or f != '0' for _h, c, f in recap):
        raise SystemExit('%s was not a no-op:\n%s' % (path, proc.stdout[-4000:]))
    return elapsed


def main():
    molecule('converge')
    try:
        ephemeral = max(glob.glob(os.path.expanduser('~/.ansible/tmp/molecule.*.sshfleet/state.yml')),
                        key=os.path.getmtime).rsplit('/', 1)[0]   # the one molecule just used
        with tempfile.NamedTemporaryFile('w', suffix='.yml', prefix='sshfleet-read-only-', delete=False) as handle:
            json.dump(READ_ONLY, handle)
        converge = os.path.join(SCENARIO, 'converge.yml')
        playbook(ephemeral, converge)           # warm-up (SSH control sockets)
        playbook(ephemeral, handle.name)
        times = {'role': [], 'read-only': []}
        for _round in range(ROUNDS):
            times['role'].append(playbook(ephemeral, converge))
            times['read-only'].append(playbook(ephemeral, handle.name))
        os.unlink(handle.name)
        medians = dict((k, median(v)) for k, v in times.items())
        print('SSH fleet, 3 hosts (forks 5), median of %d (seconds)' % ROUNDS)
        print('  %-52s %6.2f   (%s)' % ('role no-op converge (qemu serial + builder role)', medians['role'],
                                        ', '.join('%.2f' % t for t in times['role'])))
        print('  %-52s %6.2f   (%s)' % ('hand-written read-only checks', medians['read-only'],
                                        ', '.join('%.2f' % t for t in times['read-only'])))
        print('ratio role/read-only: %.2fx (target <= 1.5)' % (medians['role'] / medians['read-only']))
    finally:
        if os.environ.get('BENCH_KEEP') != '1':
            molecule('destroy')
    return 0


if __name__ == '__main__':
    sys.exit(main())

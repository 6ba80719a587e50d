"""No-op converge of the SSH fleet (extensions/molecule/sshfleet): 3 Debian hosts reached over SSH.

Brings the fleet up with `molecule converge -s sshfleet` (create, prepare, converge), then times the
converge playbook when nothing changes: once per host alone (--limit) and once for the whole fleet
(forks: 5, hosts in parallel). Prints medians in seconds; a printout, not a timed test.
BENCH_ROUNDS (default 3); BENCH_KEEP=1 leaves the fleet up (else `molecule destroy`)."""
import glob
import os
import re
import statistics
import subprocess
import sys
import time

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '3'))
HOSTS = ['fleet-bw1', 'fleet-bw2', 'fleet-bu1']
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, 'extensions', 'molecule', 'sshfleet')
ENV = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'tests', 'output', 'collections'),
           ANSIBLE_FORCE_COLOR='0')


def molecule(action):
    proc = subprocess.run(['molecule', action, '-s', 'sshfleet'], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        raise SystemExit('molecule %s failed:\n%s%s' % (action, proc.stdout[-4000:], proc.stderr[-4000:]))


def converge(ephemeral, limit=None):
    """Seconds of one converge run; fails unless every host reports changed=0."""
    env = dict(ENV, ANSIBLE_CONFIG=os.path.join(ephemeral, 'ansible.cfg'), MOLECULE_EPHEMERAL_DIRECTORY=ephemeral)
    cmd = ['ansible-playbook', '-i', os.path.join(ephemeral, 'inventory'), os.path.join(SCENARIO, 'converge.yml')]
    if limit:
        cmd += ['--limit', limit]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    elapsed = time.monotonic() - started
    recap = re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+).*failed=(\d+)', proc.stdout, re.M)
    if proc.returncode != 0 or not recap or any(c != '0' or f != '0' for _h, c, f in recap):
        raise SystemExit('converge %s was not a no-op:\n%s' % (limit or 'fleet', proc.stdout[-4000:]))
    return elapsed


def main():
    molecule('converge')
    try:
        ephemeral = max(glob.glob(os.path.expanduser('~/.ansible/tmp/molecule.*.sshfleet/state.yml')),
                        key=os.path.getmtime).rsplit('/', 1)[0]   # the one molecule just used
        converge(ephemeral)   # warm-up (SSH control sockets, fact caches)
        rows = [(host, [converge(ephemeral, host) for _round in range(ROUNDS)]) for host in HOSTS]
        rows.append(('fleet (3 hosts, parallel)', [converge(ephemeral) for _round in range(ROUNDS)]))
        print('no-op converge of qemu + network + builder over SSH, median of %d (seconds)' % ROUNDS)
        for name, times in rows:
            print('  %-28s %6.1f   (%s)' % (name, statistics.median(times), ', '.join('%.1f' % t for t in times)))
    finally:
        if os.environ.get('BENCH_KEEP') != '1':
            molecule('destroy')
    return 0


if __name__ == '__main__':
    sys.exit(main())

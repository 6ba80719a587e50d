"""Helpers for tests that change the kernel's binfmt_misc: snapshot, exact restore, playbook runs.
Run them under `flock -w 1800 /tmp/buildkit-fleet-binfmt.lock` (binfmt_misc is kernel-global)."""
import json
import os
import subprocess
import sys
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import parse_entry, register_line

BINFMT = '/proc/sys/fs/binfmt_misc'
BUSYBOX_DIR = '/var/cache/buildkit-fleet/busybox'
CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins')
# community.docker (network role) is installed there by `make collection`
COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'output', 'collections')


def snapshot():
    """name -> raw text of every binfmt_misc entry."""
    entries = {}
    for name in os.listdir(BINFMT):
        if name not in ('register', 'status'):
            with open(os.path.join(BINFMT, name)) as handle:
                entries[name] = handle.read()
    return entries


def restore(before):
    """Puts binfmt_misc back to `before` exactly (only entries that differ are touched)."""
    now = snapshot()
    for name, text in now.items():
        if before.get(name) != text:
            with open(os.path.join(BINFMT, name), 'w') as handle:
                handle.write('-1')
    for name, text in before.items():
        if now.get(name) == text:
            continue
        entry = parse_entry(name, text)
        with open(os.path.join(BINFMT, 'register'), 'w') as handle:
            handle.write(register_line(entry))
        if not entry['enabled']:
            with open(os.path.join(BINFMT, name), 'w') as handle:
                handle.write('0')
    assert snapshot() == before


def playbook(tmp_path, tasks, extra_vars=None, check=False, diff=False, timeout=600):
    """Runs a one-play playbook on localhost with the json callback. Returns (rc, tasks results, seconds, output)."""
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]
    path = tmp_path / ('play%d.yml' % int(time.monotonic() * 1000))
    path.write_text(json.dumps(play))
    cmd = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', str(path),
           '-e', 'ansible_python_interpreter=' + sys.executable, '-e', json.dumps(extra_vars or {})]
    cmd += ['--check'] if check else []
    cmd += ['--diff'] if diff else []
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_STDOUT_CALLBACK='results_json', ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
               ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([COLLECTIONS, os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')]))
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.monotonic() - started
    try:
        data = json.loads(proc.stdout[proc.stdout.index('{"tasks"'):])
    except ValueError:
        raise AssertionError('no json from ansible-playbook (rc %s):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr))
    results = [(t['name'], t['result']) for t in data['tasks']]
    return proc.returncode, results, elapsed, proc.stdout + proc.stderr


def failed_results(results):
    return [(name, res) for name, res in results if res.get('failed')]


def changed_tasks(results):
    return [name for name, res in results if res.get('changed')]


def files_under(path):
    found = []
    for root, _dirs, names in os.walk(str(path)):
        found += [os.path.join(root, n) for n in names]
    return sorted(found)

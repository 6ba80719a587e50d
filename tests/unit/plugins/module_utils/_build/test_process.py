import json
import os
import time

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.buildkit.fleet.plugins.module_utils._build import process

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None


def run_command():
    """A real AnsibleModule's run_command, as the build runner passes it."""
    if patch_module_args is not None:
        with patch_module_args({}):
            return AnsibleModule(argument_spec={}).run_command
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': {}}).encode('utf-8')
    return AnsibleModule(argument_spec={}).run_command


def test_output_code_stdin_and_environment():
    env = dict(os.environ, FLEET_SET='x y')
    env.pop('HOME', None)
    argv = ['sh', '-c', 'cat; echo "$FLEET_SET ${HOME-unset} $1" >&2; exit 3', 'sh', '$NOT_EXPANDED']
    code, out, err = process.run(run_command(), argv, env, stdin='from stdin\n', timeout=30)
    assert code == 3 and out == 'from stdin\n' and err == 'x y unset $NOT_EXPANDED\n'
    code, out, _err = process.run(run_command(), ['cat'], dict(os.environ), timeout=30)
    assert code == 0 and out == ''  # no stdin: /dev/null, never the module's own


def test_timeout_stops_the_whole_process_group(tmp_path, monkeypatch):
    monkeypatch.setattr(process, 'GRACE_SECONDS', 1)  # the shell ignores TERM: KILL after the grace period
    pidfile = tmp_path / 'pid'
    script = 'trap "" TERM; sleep 60 & echo $! > %s; wait' % pidfile
    started = time.monotonic()
    code, _out, _err = process.run(run_command(), ['sh', '-c', script], dict(os.environ), timeout=1)
    assert code is None
    assert time.monotonic() - started < process.GRACE_SECONDS + 5
    child = int(pidfile.read_text())
    time.sleep(0.2)
    assert not os.path.exists('/proc/%d' % child) or 'Z' in open('/proc/%d/stat' % child).read().split()[2]


def test_missing_program_is_a_clear_failure():
    code, _out, err = process.run(run_command(), ['/nonexistent/buildx'], dict(os.environ), timeout=30)
    assert code == 127 and 'cannot run /nonexistent/buildx' in err


def test_without_setsid_the_shim_gives_the_session(monkeypatch):
    monkeypatch.setattr(process, '_find', lambda name: None)
    code, out, _err = process.run(run_command(), ['sh', '-c', 'cat; ps -o sid= -p $$; echo $$'], dict(os.environ), timeout=30)
    sid, pid = out.split()
    assert code == 0 and sid == pid

import os
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._build import process


def test_output_code_stdin_and_environment():
    env = dict(os.environ, FLEET_SET='x y')
    env.pop('HOME', None)
    code, out, err = process.run(['sh', '-c', 'cat; echo "$FLEET_SET ${HOME-unset} $1" >&2; exit 3', 'sh', '$NOT_EXPANDED'],
                                env, stdin='from stdin\n', timeout=30)
    assert code == 3 and out == 'from stdin\n' and err == 'x y unset $NOT_EXPANDED\n'
    code, out, _err = process.run(['cat'], dict(os.environ), timeout=30)
    assert code == 0 and out == ''  # no stdin: /dev/null, never the module's own


def test_timeout_stops_the_whole_process_group(tmp_path, monkeypatch):
    monkeypatch.setattr(process, 'GRACE_SECONDS', 1)  # the shell ignores TERM: KILL after the grace period
    pidfile = tmp_path / 'pid'
    script = 'trap "" TERM; sleep 60 & echo $! > %s; wait' % pidfile
    started = time.monotonic()
    code, _out, _err = process.run(['sh', '-c', script], dict(os.environ), timeout=1)
    assert code is None
    assert time.monotonic() - started < process.GRACE_SECONDS + 5
    child = int(pidfile.read_text())
    time.sleep(0.2)
    assert not os.path.exists('/proc/%d' % child) or 'Z' in open('/proc/%d/stat' % child).read().split()[2]


def test_missing_program_is_a_clear_failure():
    code, _out, err = process.run(['/nonexistent/buildx'], dict(os.environ), timeout=30)
    assert code == 127 and 'cannot run /nonexistent/buildx' in err

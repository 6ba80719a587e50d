"""The module's runner: bad inputs and failures become fail_json, secret values redacted from every field."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._build import run
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError, TaskFailed


class Exited(Exception):
    pass


class FakeModule(object):
    """What run_module uses of an AnsibleModule: params, check/diff mode, tmpdir, no_log_values, exit/fail."""

    def __init__(self, params, tmpdir):
        self.params, self.tmpdir = params, tmpdir
        self.check_mode, self._diff = False, False
        self.run_command = None
        self.no_log_values = set()
        self.result = None

    def exit_json(self, **result):
        self.result = dict(result, failed=False)
        raise Exited()

    def fail_json(self, msg, **result):
        self.result = dict(result, msg=msg, failed=True)
        raise Exited()


def params(tmp_path, **kwargs):
    secret = tmp_path / 'secret'
    secret.write_text('from-a-file\n')
    base = dict(builder='b', buildx_config=str(tmp_path), build_timeout=60,
                secrets=[{'id': 'v', 'value': 'plain-value', 'src': None, 'env': None},
                         {'id': 'f', 'src': str(secret), 'value': None, 'env': None}])
    base.update(kwargs)
    return base


def outcome(monkeypatch, tmp_path, raises):
    def fake_run(self):
        raise raises
    monkeypatch.setattr(run.BuildRun, 'run', fake_run)
    module = FakeModule(params(tmp_path), str(tmp_path))
    with pytest.raises(Exited):
        run.run_module(module)
    return module


def test_task_failed_is_fail_json_with_details_redacted(monkeypatch, tmp_path):
    module = outcome(monkeypatch, tmp_path, TaskFailed('step printed plain-value and from-a-file',
                                                       log_tail=['x plain-value', 'from-a-file'], built=False))
    assert module.result['failed'] and module.result['built'] is False
    assert module.result['msg'] == 'step printed ******** and ********'
    assert module.result['log_tail'] == ['x ********', '********']
    assert {'plain-value', 'from-a-file'} <= module.no_log_values  # Ansible hides them from verbose output too


def test_spec_error_is_fail_json(monkeypatch, tmp_path):
    module = outcome(monkeypatch, tmp_path, SpecError("context: /nope is not a directory on the target"))
    assert module.result == {'msg': 'context: /nope is not a directory on the target', 'failed': True}


def test_results_are_redacted(monkeypatch, tmp_path):
    monkeypatch.setattr(run.BuildRun, 'run', lambda self: {'command': ['--label', 'x=plain-value'], 'changed': True})
    module = FakeModule(params(tmp_path), str(tmp_path))
    with pytest.raises(Exited):
        run.run_module(module)
    assert module.result['command'] == ['--label', 'x=********']


def test_build_timeout_must_be_positive(tmp_path):
    with pytest.raises(SpecError, match="build_timeout: must be a positive number of seconds, got '0'"):
        run.BuildRun(params(tmp_path, build_timeout=0), False, str(tmp_path), None).check()

"""BuilderRun.run: a connection that breaks before any change is made anew once; after a change it fails clearly."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import run as r


class FakeReconciler(object):
    def __init__(self, actions):
        self.actions, self.differences = actions, []


def make_run(tmp_path, outcomes, actions=None):
    params = dict(name='b', buildx_config=str(tmp_path), docker_host=None)
    run = r.BuilderRun(params, check_mode=False, clients={'stale': object()})
    calls = []

    def once(diff):
        calls.append(diff)
        run.reconciler = FakeReconciler(list(actions or []))
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    run._run_once = once
    return run, calls


def test_broken_pipe_before_a_change_is_retried_with_new_clients(tmp_path):
    run, calls = make_run(tmp_path, [BrokenPipeError(32, 'Broken pipe'), {'changed': False}])
    assert run.run() == {'changed': False}
    assert len(calls) == 2 and run.shared_clients == {}


def test_broken_twice_fails_naming_the_cause(tmp_path):
    run, _calls = make_run(tmp_path, [BrokenPipeError(32, 'Broken pipe'), ConnectionResetError(104, 'reset')])
    with pytest.raises(r.RunFailed) as err:
        run.run()
    assert 'connection to the Docker daemon broke' in err.value.msg and 'ConnectionResetError' in err.value.msg


def test_broken_after_a_change_is_not_retried(tmp_path):
    run, calls = make_run(tmp_path, [BrokenPipeError(32, 'Broken pipe'), {'changed': True}], actions=['create container x'])
    with pytest.raises(r.RunFailed) as err:
        run.run()
    assert len(calls) == 1 and 'after a change' in err.value.msg
    assert err.value.details['actions'] == ['create container x']

"""BuilderRun.run: a connection that breaks is made anew and the builder converged again (idempotent); the
actions of both attempts are reported; when it breaks twice or the retry fails, what the first attempt made goes."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import run as r


class FakeReconciler(object):
    def __init__(self, actions):
        self.actions, self.differences, self.rolled_back = actions, [], False

    def _rollback(self):
        self.rolled_back = True


def make_run(tmp_path, outcomes, actions=()):
    run = r.BuilderRun(dict(name='b', buildx_config=str(tmp_path), docker_host=None), check_mode=False,
                       clients={'stale': object()})
    made = []

    def once(diff):
        run.reconciler = FakeReconciler(list(actions[len(made)]) if len(made) < len(actions) else [])
        made.append(run.reconciler)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return dict(outcome, actions=run.reconciler.actions, differences=[], notes=[])
    run._run_once = once
    return run, made


def test_broken_pipe_is_retried_with_new_clients(tmp_path):
    run, made = make_run(tmp_path, [BrokenPipeError(32, 'Broken pipe'), {'changed': False}])
    result = run.run()
    assert len(made) == 2 and run.shared_clients == {} and result['changed'] is False
    assert 'broke once' in result['notes'][0]


def test_actions_of_the_broken_attempt_are_kept(tmp_path):
    run, _made = make_run(tmp_path, [BrokenPipeError(32, 'Broken pipe'), {'changed': False}],
                          actions=[['create container x'], []])
    result = run.run()
    assert result['changed'] is True and result['actions'] == ['create container x']


def test_broken_twice_fails_and_removes_what_the_first_attempt_made(tmp_path):
    run, made = make_run(tmp_path, [BrokenPipeError(32, 'Broken pipe'), ConnectionResetError(104, 'reset')],
                         actions=[['create container x'], []])
    with pytest.raises(r.RunFailed) as err:
        run.run()
    assert 'broke twice' in err.value.msg and 'ConnectionResetError' in err.value.msg
    assert made[0].rolled_back and err.value.details['actions'] == ['create container x']


def test_a_failed_retry_removes_what_the_first_attempt_made(tmp_path):
    run, made = make_run(tmp_path, [BrokenPipeError(32, 'Broken pipe'), r.RunFailed('bad')], actions=[['create x'], []])
    with pytest.raises(r.RunFailed):
        run.run()
    assert made[0].rolled_back

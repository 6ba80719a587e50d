"""StepTimer adds the time since the previous step to the step's name."""
from ansible_collections.buildkit.fleet.plugins.module_utils._common.step_timer import StepTimer


def test_steps_add_up_per_name():
    ticks = iter([10.0, 10.5, 11.0, 11.25])
    timer = StepTimer(clock=lambda: next(ticks))
    timer.step('check')
    timer.step('build')
    timer.step('check')
    assert timer.spent == {'check': 0.75, 'build': 0.5}

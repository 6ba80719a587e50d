import gc
import os
import sys
import types

import pytest
from ansible.plugins.action.normal import ActionModule as NormalAction

from ansible_collections.buildkit.fleet.plugins.plugin_utils import module_action
from ansible_collections.buildkit.fleet.plugins.plugin_utils.module_action import (
    ModuleAction, cyclic_gc_paused, in_worker_process)

PLUGINS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins')


@pytest.fixture(autouse=True)
def frozen_before():
    """How many objects were frozen before the test (a test runner may freeze some); the collector is left as
    it was found."""
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    yield frozen
    if not frozen:
        gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_paused_inside_and_enabled_again_after(frozen_before):
    gc.enable()
    with cyclic_gc_paused(freeze_leftovers=False):
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == frozen_before


def test_a_collector_that_was_disabled_stays_disabled():
    gc.disable()
    with cyclic_gc_paused(freeze_leftovers=False):
        pass
    assert not gc.isenabled()


def test_an_error_inside_still_enables_the_collector():
    gc.enable()
    with pytest.raises(RuntimeError):
        with cyclic_gc_paused(freeze_leftovers=False):
            raise RuntimeError('the task failed')
    assert gc.isenabled()


def test_leftovers_are_frozen_so_the_enabled_collector_never_scans_them(frozen_before):
    gc.enable()
    with cyclic_gc_paused(freeze_leftovers=True):
        garbage = [[] for dummy in range(1000)]
        for item in garbage:
            item.append(item)  # cycles, as Ansible's syntax trees are
        del garbage
    assert gc.isenabled() and gc.get_freeze_count() >= frozen_before + 1000


def test_only_ansibles_worker_process_counts_as_one(monkeypatch):
    assert not in_worker_process()  # pytest's own process

    class WorkerProcess(object):
        pass
    monkeypatch.setitem(sys.modules, module_action.WORKER_MODULE, types.SimpleNamespace(WorkerProcess=WorkerProcess))
    assert not in_worker_process()  # the module is there, this is not a worker
    monkeypatch.setattr(module_action.multiprocessing, 'current_process', WorkerProcess)
    assert in_worker_process()


@pytest.mark.parametrize('worker', [False, True])
def test_the_action_runs_normal_with_the_collector_paused(monkeypatch, frozen_before, worker):
    seen = []

    def normal_run(self, tmp=None, task_vars=None):
        seen.append((gc.isenabled(), tmp, task_vars))
        return {'changed': True}
    monkeypatch.setattr(NormalAction, 'run', normal_run)
    monkeypatch.setattr(module_action, 'in_worker_process', lambda: worker)
    gc.enable()
    action = ModuleAction.__new__(ModuleAction)
    assert action.run(task_vars={'a': 1}) == {'changed': True}
    assert seen == [(False, None, {'a': 1})]
    assert gc.isenabled() and (gc.get_freeze_count() > frozen_before) == worker


def test_every_module_runs_through_the_action():
    modules = sorted(name for name in os.listdir(os.path.join(PLUGINS, 'modules')) if name.endswith('.py'))
    actions = sorted(name for name in os.listdir(os.path.join(PLUGINS, 'action')) if name.endswith('.py'))
    assert modules == actions
    for name in actions:
        with open(os.path.join(PLUGINS, 'action', name)) as handle:
            assert 'class ActionModule(ModuleAction)' in handle.read(), name

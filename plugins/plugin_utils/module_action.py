# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller side of the collection's modules: ansible.builtin.normal, with Python's cyclic garbage
collector paused while the task runs.

Before a module runs, Ansible packages it on the controller: it parses the module and every module_util it
imports into syntax trees to find their imports, and zips them. Ansible links each import node of a tree to
its parent, so every tree becomes cyclic garbage, and parsing allocates over a hundred thousand tracked
objects: the collector runs again and again, and its full passes walk the whole heap the worker process
inherited from ansible-playbook (inventory, variables, loaded plugins). For buildkit_build that costs about
55 ms of the 170 ms packaging takes (a `command` task loses about 17 ms the same way).

So the collector is paused for the task. In Ansible's worker process, which runs one task (its loop items
and retries) and then ends, what the task left is frozen (gc.freeze: kept, never scanned again) before the
collector is enabled again: collecting the discarded trees would cost another 25 ms, on the way to the
result, in a process about to end. Anywhere else the collector is only enabled again. Nothing else differs
from a task without an action plugin: check mode, async, module_defaults and the result are
ansible.builtin.normal's.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import gc
import multiprocessing
import sys

from ansible.plugins.action.normal import ActionModule as NormalAction

WORKER_MODULE = 'ansible.executor.process.worker'


def in_worker_process():
    """Whether this is one of Ansible's worker processes, which end with their task (a worker has imported
    their module; nothing is imported here)."""
    worker = sys.modules.get(WORKER_MODULE)
    return worker is not None and isinstance(multiprocessing.current_process(), worker.WorkerProcess)


@contextlib.contextmanager
def cyclic_gc_paused(freeze_leftovers):
    """Pauses the cyclic garbage collector inside the block; after it, freezes what exists when
    `freeze_leftovers`, and enables the collector again if it was enabled."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze_leftovers:
            gc.freeze()
        if enabled:
            gc.enable()


class ModuleAction(NormalAction):
    """Runs the task's module as ansible.builtin.normal does, with the cyclic collector paused."""

    def run(self, tmp=None, task_vars=None):
        with cyclic_gc_paused(freeze_leftovers=in_worker_process()):
            return super(ModuleAction, self).run(tmp, task_vars)

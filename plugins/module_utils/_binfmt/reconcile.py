# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""read -> plan -> record -> apply -> persist -> verify, for the binfmt_misc module."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt import persist, plan, record
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import entry_text
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.handlers import QEMU, handler_name
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.kernel import Binfmt, KernelError, systemd_binfmt
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.probe import check_handlers


class BinfmtFailure(Exception):
    """A failure to report with fail_json (message names what failed)."""


class Reconciler(object):
    def __init__(self, params, check_mode, run_command, kernel=None):
        self.params, self.check_mode, self.run_command = params, check_mode, run_command
        self.kernel = kernel or Binfmt(run_command)
        self.warnings = []
        self.missing = []

    def _files(self, names):
        if not self.params['persist']:
            return {}
        return dict((n, persist.read(persist.file_path(self.params['binfmt_dir'], n))) for n in names)

    def _current(self, names):
        if not self.kernel.mounted():
            return {}, False
        return dict((n, self.kernel.read(n)) for n in names), True

    def run_present(self, desired):
        names = [d['name'] for d in desired]
        current, mounted = self._current(names)
        rec, warns = record.load(self.params['record_file'])
        self.warnings += warns
        steps, new_rec = plan.plan_present(desired, current, self._files(names), rec)
        if not self.params['persist']:
            for step in steps:
                step['file_action'] = 'none'
        pending = [s for s in steps if s['action'] != 'none']
        self.missing = self._missing_interpreters(pending)
        if self.missing and self.params['missing_interpreters'] == 'report':
            return steps, self._verify(steps, skip=True), False
        self._check_interpreters()
        if not self.check_mode:
            if pending and not mounted:
                self.kernel.do_mount()
            record.save(self.params['record_file'], new_rec)  # before touching the kernel
            self._write_files(steps)
            self._apply(pending)
        return steps, self._verify(steps), plan.changed(steps, rec, new_rec)

    def run_absent(self, names):
        current, mounted = self._current(names)
        rec, warns = record.load(self.params['record_file'])
        self.warnings += warns
        steps, new_rec = plan.plan_absent(names, current, self._files(names), rec)
        if not self.params['persist']:
            for step in steps:
                step['file_action'] = 'none'
        if not self.check_mode:
            for step in steps:
                if step['file_action'] == 'remove':
                    persist.remove(persist.file_path(self.params['binfmt_dir'], step['name']))
            for step in steps:
                self._undo(step, rec)
            record.save(self.params['record_file'], new_rec)
        return steps, plan.changed(steps, rec, new_rec)

    @staticmethod
    def _missing_interpreters(pending):
        return sorted(set(s['after']['interpreter'] for s in pending if not os.path.exists(s['after']['interpreter'])))

    def _check_interpreters(self):
        if not self.missing:
            return
        msg = 'interpreter: %s does not exist (install the static qemu-user package first)' % ', '.join(self.missing)
        if not self.check_mode:
            raise BinfmtFailure(msg)
        self.warnings.append(msg + '; check mode predicts the registration anyway')

    def _write_files(self, steps):
        for step in steps:
            if step['file_action'] == 'write':
                try:
                    persist.write(persist.file_path(self.params['binfmt_dir'], step['name']), step['file_content'])
                except (IOError, OSError) as exc:
                    raise BinfmtFailure('binfmt_dir: cannot write %s: %s'
                                        % (persist.file_path(self.params['binfmt_dir'], step['name']), exc))

    def _method(self):
        method = self.params['apply_method']
        tool = systemd_binfmt()
        if method == 'auto':
            method = 'systemd-binfmt' if tool and self.params['persist'] else 'register'
        if method == 'systemd-binfmt' and not (tool and self.params['persist']):
            raise BinfmtFailure('apply_method: systemd-binfmt needs systemd running and persist=true')
        return method, tool

    def _apply(self, pending):
        if not pending:
            return
        method, tool = self._method()
        for step in pending:
            try:
                if method == 'systemd-binfmt':
                    self.kernel.apply_file(tool, persist.file_path(self.params['binfmt_dir'], step['name']), step['name'])
                else:
                    self.kernel.register(step['after'])
            except KernelError as exc:
                self._put_back(step)
                raise BinfmtFailure('%s; %s was put back as it was' % (exc, step['name']))

    def _put_back(self, step):
        try:
            if step['before'] is not None:
                self.kernel.register(step['before'])
            else:
                self.kernel.unregister(step['name'])
        except KernelError as exc:
            self.warnings.append('could not put %s back: %s' % (step['name'], exc))

    def _undo(self, step, rec):
        try:
            if step['action'] == 'unregister':
                self.kernel.unregister(step['name'])
            elif step['action'] == 'restore':
                self.kernel.register(rec[step['name']])
        except KernelError as exc:
            raise BinfmtFailure('%s; the record %s still holds it' % (exc, self.params['record_file']))

    def _verify(self, steps, skip=False):
        """Per handler: errors, verified (False in check mode for a handler not yet registered)."""
        result, entries = {}, []
        for step in steps:
            if skip or (self.check_mode and step['action'] != 'none'):
                result[step['name']] = {'verified': False, 'errors': []}
                continue
            entry = self.kernel.read(step['name'])
            if entry is None:
                result[step['name']] = {'verified': False, 'errors': ['%s is not registered' % step['name']]}
            else:
                entries.append(entry)
        flags = dict((s['name'], s['after']['flags']) for s in steps)
        for name, errors in check_handlers(entries, flags, self.params['verify'], self.run_command).items():
            result[name] = {'verified': not errors, 'errors': errors}
        return result


def handler_report(step, verify=None):
    """One item of the module's `handlers` result."""
    item = {'name': step['name'], 'platforms': step['platforms'], 'action': step['action'],
            'file': step['file_action'], 'before': step['before'], 'after': step['after']}
    if item['after'] is not None:
        item['after'] = dict((k, v) for k, v in item['after'].items() if k != 'platforms')
    if verify is not None:
        item.update(verify)
    return item


def diff_of(steps, binfmt_dir):
    before, after = [], []
    for step in steps:
        if step['action'] != 'none':
            before.append('# %s\n%s' % (step['name'], entry_text(step['before'])))
            after.append('# %s\n%s' % (step['name'], entry_text(step['after'])))
        if step['file_action'] != 'none':
            path = persist.file_path(binfmt_dir, step['name'])
            before.append('# %s\n%s' % (path, step['file_before'] or ''))
            after.append('# %s\n%s' % (path, step['file_content'] or ''))
    return {'before': '\n'.join(before), 'after': '\n'.join(after)}


def all_names():
    return [handler_name(arch) for arch in sorted(QEMU)]

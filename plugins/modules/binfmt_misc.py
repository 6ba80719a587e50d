#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: binfmt_misc
short_description: QEMU user-mode emulators in the kernel's binfmt_misc, persistent, verified by execution
version_added: 0.1.0
description:
  - Registers one C(qemu-<arch>) handler per foreign platform in C(/proc/sys/fs/binfmt_misc) with the C(F)
    (fix-binary) flag BuildKit needs, the way C(docker run --privileged tonistiigi/binfmt --install) does, but
    idempotently, persistently and with a way back.
  - Reads every handler, compares its magic, mask, offset, interpreter and flags with the wanted one and
    (re-)registers only those that differ. Handlers of the host's own architecture family are never registered
    (they are returned in RV(native_platforms)).
  - Writes one C(<binfmt_dir>/qemu-<arch>.conf) per handler (read at boot by C(systemd-binfmt) and OpenRC's
    C(binfmt) service), creating O(binfmt_dir) when it is missing.
  - Before changing the kernel it records in O(record_file) what each handler replaced, so O(state=absent) puts
    back exactly that entry (or unregisters the handler when there was none) and leaves handlers it did not
    register alone.
  - Verifies each handler (enabled, flags, static interpreter) and, with O(verify=true), runs a tiny generated
    foreign program in an empty chroot, as BuildKit's own platform detection does.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
extends_documentation_fragment:
  - buildkit.fleet._attributes
attributes:
  check_mode:
    support: full
    details:
      - Changes nothing; RV(handlers[].action) and RV(handlers[].file) tell what would be done. A missing
        interpreter (a package not installed yet) gives a warning instead of a failure.
  diff_mode:
    support: full
    details: The kernel entries and handler files before and after, in the format the kernel shows them.
  idempotent:
    support: full
    details: A second run with the same options changes nothing and reports no change.
options:
  platforms:
    description:
      - OCI platforms to emulate, for example V(linux/arm64), V(linux/arm/v7), V(linux/riscv64), V(linux/ppc64le),
        V(linux/s390x), V(linux/386), V(linux/amd64), V(linux/mips64le), V(linux/mips64), V(linux/loong64);
        or V(all) for every platform BuildKit probes.
    type: list
    elements: str
    default: [linux/arm64, linux/arm/v7, linux/riscv64, linux/ppc64le, linux/s390x]
  state:
    description:
      - V(present) registers, persists and verifies the handlers.
      - V(absent) undoes what this module recorded for the handlers of O(platforms) and removes the handler files
        it wrote.
    type: str
    choices: [present, absent]
    default: present
  flags:
    description:
      - V(auto) is C(F), plus C(P) for Debian's C(-binfmt-P) interpreters, plus C(C) with O(credentials=true).
      - Or explicit letters from C(P), C(O), C(C), C(F) that include C(F), for example V(PF) or V(POCF).
    type: str
    default: auto
  credentials:
    description:
      - Add C(C) (credentials, implies C(O)) to V(auto) flags so setuid programs work in emulated builds.
      - Off by default; Debian and Ubuntu dropped it in 2025 as a privilege-escalation risk.
    type: bool
    default: false
  interpreter:
    description:
      - Interpreter path, with C({arch}) standing for the QEMU architecture name (C(aarch64), C(arm), ...).
      - V(auto) is C(/usr/libexec/qemu-binfmt/{arch}-binfmt-P) on Debian and Ubuntu, C(/usr/bin/qemu-{arch}-static)
        on Fedora and RHEL, else C(/usr/bin/qemu-{arch}). The interpreter must be statically linked.
    type: str
    default: auto
  masks:
    description:
      - Which ELF masks to register. V(debian) uses the masks of Debian's packages where they differ from upstream
        QEMU's; V(auto) picks V(debian) for interpreters under C(/usr/libexec/qemu-binfmt/), else V(upstream).
    type: str
    choices: [auto, upstream, debian]
    default: auto
  persist:
    description: Write the handler files in O(binfmt_dir) so the handlers come back after a reboot.
    type: bool
    default: true
  binfmt_dir:
    description: Directory of the persistent handler files; created (mode 0755) when missing.
    type: path
    default: /etc/binfmt.d
  apply_method:
    description:
      - How a changed handler reaches the running kernel. V(systemd-binfmt) runs C(systemd-binfmt <file>), which
        applies only that file (never a flush of all handlers); V(register) writes the line to
        C(/proc/sys/fs/binfmt_misc/register) after unregistering the same-named entry.
      - V(auto) uses V(systemd-binfmt) when systemd runs the host and O(persist=true), else V(register).
    type: str
    choices: [auto, systemd-binfmt, register]
    default: auto
  record_file:
    description: JSON record of the handlers this module registered and the entries they replaced.
    type: path
    default: /var/lib/buildkit-fleet/binfmt_misc.json
  verify:
    description: Run a generated foreign program (it exits with 42) per handler in an empty chroot.
    type: bool
    default: true
  missing_interpreters:
    description:
      - What to do when an interpreter of a handler to register does not exist.
      - V(fail) fails (in check mode it warns and predicts the registration).
      - V(report) changes nothing and returns them in RV(missing_interpreters), so a package can be installed
        only when needed and the module run again.
    type: str
    choices: [fail, report]
    default: fail
notes:
  - Needs root on the target host. Inside an unprivileged container C(/proc/sys) is read-only; register on the host.
  - C(binfmt_misc) is mounted when it is not (C(modprobe binfmt_misc), C(mount -t binfmt_misc)).
  - BuildKit lists newly registered platforms without a restart (its platform cache lives 20 seconds).
  - The role C(buildkit.fleet.qemu) installs the distro's static interpreters and runs this module.
seealso:
  - name: binfmt_misc
    description: The kernel documentation of the register format and the flags.
    link: https://docs.kernel.org/admin-guide/binfmt-misc.html
'''

EXAMPLES = r'''
- name: Emulate arm64 and riscv64 for BuildKit
  buildkit.fleet.binfmt_misc:
    platforms: [linux/arm64, linux/riscv64]
  register: emulators

- name: Show what the builders can now run
  ansible.builtin.debug:
    msg: "{{ emulators.verified_platforms }}"

- name: setuid programs in emulated builds (adds the C flag)
  buildkit.fleet.binfmt_misc:
    platforms: [linux/arm64]
    credentials: true

- name: Put back what was there before
  buildkit.fleet.binfmt_misc:
    platforms: [linux/arm64, linux/riscv64]
    state: absent
'''

RETURN = r'''
handlers:
  description: One item per handler of O(platforms) (not the host's own family).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Handler name in C(/proc/sys/fs/binfmt_misc).
      type: str
      sample: qemu-aarch64
    platforms:
      description: The requested platforms it serves.
      type: list
      elements: str
      sample: [linux/arm64]
    action:
      description: V(none), V(register), V(replace), V(unregister) or V(restore) (would be, in check mode).
      type: str
    file:
      description: V(none), V(write) or V(remove) for its file in O(binfmt_dir).
      type: str
    before:
      description: The kernel entry before (C(enabled), C(interpreter), C(flags), C(offset), C(magic), C(mask)), or V(null).
      type: dict
    after:
      description: The kernel entry after, or V(null).
      type: dict
    verified:
      description: Whether the handler passed verification (V(false) in check mode for a handler not yet registered).
      type: bool
      returned: with O(state=present)
    errors:
      description: Why verification failed.
      type: list
      elements: str
      returned: with O(state=present)
verified_platforms:
  description: Platforms whose handler is registered and verified.
  returned: always
  type: list
  elements: str
  sample: [linux/arm64, linux/riscv64]
native_platforms:
  description: Requested platforms of the host's own family, which run natively.
  returned: always
  type: list
  elements: str
  sample: [linux/amd64]
record_file:
  description: Path of the record.
  returned: always
  type: str
missing_interpreters:
  description: Interpreters of handlers to register that do not exist (with O(missing_interpreters=report), nothing was changed then).
  returned: always
  type: list
  elements: str
  sample: [/usr/libexec/qemu-binfmt/riscv64-binfmt-P]
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt import handlers as table
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import EntryError
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.reconcile import (
    BinfmtFailure, Reconciler, diff_of, handler_report)


def default_interpreter():
    if os.path.exists('/etc/debian_version'):
        return table.DEBIAN_INTERPRETER
    if os.path.exists('/etc/fedora-release') or os.path.exists('/etc/redhat-release'):
        return '/usr/bin/qemu-{arch}-static'
    return '/usr/bin/qemu-{arch}'


def main():
    module = AnsibleModule(argument_spec=dict(
        platforms=dict(type='list', elements='str',
                       default=['linux/arm64', 'linux/arm/v7', 'linux/riscv64', 'linux/ppc64le', 'linux/s390x']),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        flags=dict(type='str', default='auto'),
        credentials=dict(type='bool', default=False),
        interpreter=dict(type='str', default='auto'),
        masks=dict(type='str', choices=['auto', 'upstream', 'debian'], default='auto'),
        persist=dict(type='bool', default=True),
        binfmt_dir=dict(type='path', default='/etc/binfmt.d'),
        apply_method=dict(type='str', choices=['auto', 'systemd-binfmt', 'register'], default='auto'),
        record_file=dict(type='path', default='/var/lib/buildkit-fleet/binfmt_misc.json'),
        verify=dict(type='bool', default=True),
        missing_interpreters=dict(type='str', choices=['fail', 'report'], default='fail'),
    ), supports_check_mode=True)
    params = module.params
    interpreter = default_interpreter() if params['interpreter'] == 'auto' else params['interpreter']
    if not interpreter.startswith('/'):
        module.fail_json(msg='interpreter: %r is not an absolute path' % params['interpreter'])
    try:
        desired, native = table.desired_handlers(params['platforms'], os.uname()[4], interpreter, params['flags'],
                                                 params['credentials'], params['masks'])
    except table.PlatformError as exc:
        module.fail_json(msg=str(exc))
    reconciler = Reconciler(params, module.check_mode, module.run_command)
    result = dict(changed=False, native_platforms=native, verified_platforms=[], record_file=params['record_file'],
                  missing_interpreters=[])
    try:
        if params['state'] == 'present':
            steps, verify, result['changed'] = reconciler.run_present(desired)
            result['missing_interpreters'] = reconciler.missing
            result['handlers'] = [handler_report(s, verify[s['name']]) for s in steps]
            result['verified_platforms'] = [p for s in steps if verify[s['name']]['verified'] for p in s['platforms']]
        else:
            steps, result['changed'] = reconciler.run_absent([d['name'] for d in desired])
            result['handlers'] = [handler_report(s) for s in steps]
    except (BinfmtFailure, EntryError) as exc:
        module.fail_json(msg=str(exc), warnings=reconciler.warnings, **result)
    except (IOError, OSError) as exc:
        module.fail_json(msg='binfmt_misc: %s' % exc, warnings=reconciler.warnings, **result)
    if module._diff:
        result['diff'] = diff_of(steps, params['binfmt_dir'])
    for warning in reconciler.warnings:
        module.warn(warning)
    failed = [e for h in result['handlers'] for e in h.get('errors', [])]
    if reconciler.missing and params['missing_interpreters'] == 'report':
        failed = []
    if failed:
        module.fail_json(msg='; '.join(failed), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proves a handler works the way BuildKit's archutil does: a tiny static foreign program (generated here,
it only calls exit(42)) runs in an otherwise empty chroot, which needs the F flag and a static interpreter."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import signal
import struct
import sys
import tempfile

EXIT_CODE = 42

# arch -> (ELF class 1/2, data 1=LE/2=BE, e_machine, e_flags, code, word size): 42 into the first
# syscall argument, the exit syscall number, trap.
PROGRAMS = {
    'aarch64': (2, 1, 183, 0, [0xd2800540, 0xd2800ba8, 0xd4000001], 4),  # movz x0,#42; movz x8,#93; svc #0
    'arm': (1, 1, 40, 0x05000000, [0xe3a0002a, 0xe3a07001, 0xef000000], 4),  # mov r0,#42; mov r7,#1; svc 0
    'riscv64': (2, 1, 243, 0, [0x02a00513, 0x05d00893, 0x00000073], 4),  # li a0,42; li a7,93; ecall
    'ppc64le': (2, 1, 21, 2, [0x3860002a, 0x38000001, 0x44000002], 4),  # li r3,42; li r0,1; sc
    's390x': (2, 2, 22, 0, [0xa729002a, 0x0a01], None),  # lghi %r2,42; svc 1
    'mips64el': (2, 1, 8, 0, [0x6404002a, 0x640213c2, 0x0000000c], 4),  # daddiu a0,42; v0=5058; syscall
    'mips64': (2, 2, 8, 0, [0x6404002a, 0x640213c2, 0x0000000c], 4),
    'loongarch64': (2, 1, 258, 0x43, [0x0280a804, 0x0281740b, 0x002b0000], 4),  # a0=42; a7=93; syscall 0
    'i386': (1, 1, 3, 0, b'\xbb\x2a\x00\x00\x00\xb8\x01\x00\x00\x00\xcd\x80', None),  # ebx=42; eax=1; int 0x80
    'x86_64': (2, 1, 62, 0, b'\xbf\x2a\x00\x00\x00\xb8\x3c\x00\x00\x00\x0f\x05', None),  # edi=42; eax=60; syscall
}


def _code(data, words, size):
    if isinstance(words, bytes):
        return words
    endian = '<' if data == 1 else '>'
    if size == 4:
        return b''.join(struct.pack(endian + 'I', w) for w in words)
    return struct.pack('>I', words[0]) + struct.pack('>H', words[1])  # s390x: a 4- and a 2-byte instruction


def make_elf(arch):
    """A static ET_EXEC ELF with one PT_LOAD segment that exits with EXIT_CODE."""
    cls, data, machine, flags, words, size = PROGRAMS[arch]
    code = _code(data, words, size)
    e = '<' if data == 1 else '>'
    base = 0x400000
    ident = b'\x7fELF' + bytes(bytearray([cls, data, 1, 0])) + b'\x00' * 8
    if cls == 2:
        ehsize, phsize = 64, 56
        header = ident + struct.pack(e + 'HHIQQQIHHHHHH', 2, machine, 1, base + ehsize + phsize, ehsize, 0, flags,
                                     ehsize, phsize, 1, 0, 0, 0)
        total = ehsize + phsize + len(code)
        phdr = struct.pack(e + 'IIQQQQQQ', 1, 5, 0, base, base, total, total, 0x10000)
    else:
        ehsize, phsize = 52, 32
        header = ident + struct.pack(e + 'HHIIIIIHHHHHH', 2, machine, 1, base + ehsize + phsize, ehsize, 0, flags,
                                     ehsize, phsize, 1, 0, 0, 0)
        total = ehsize + phsize + len(code)
        phdr = struct.pack(e + 'IIIIIIII', 1, 0, base, base, total, total, 5, 0x10000)
    return header + phdr + code


def is_static(path):
    """True when the ELF file has no PT_INTERP program header."""
    with open(path, 'rb') as handle:
        head = handle.read(64)
        if head[:4] != b'\x7fELF':
            return False
        cls, data = bytearray(head[4:6])
        e = '<' if data == 1 else '>'
        if cls == 2:
            phoff, = struct.unpack(e + 'Q', head[32:40])
            phentsize, phnum = struct.unpack(e + 'HH', head[54:58])
        else:
            phoff, = struct.unpack(e + 'I', head[28:32])
            phentsize, phnum = struct.unpack(e + 'HH', head[42:46])
        for i in range(phnum):
            handle.seek(phoff + i * phentsize)
            ptype, = struct.unpack(e + 'I', handle.read(4))
            if ptype == 3:  # PT_INTERP
                return False
    return True


# Enters the empty chroot, arms an alarm (it survives exec, so a hanging program is killed) and runs /probe.
_CHROOT_SHIM = 'import os, signal, sys; os.chroot(sys.argv[1]); os.chdir("/"); signal.alarm(int(sys.argv[2])); ' \
    'os.execv("/probe", ["/probe"])'


def _run_in_chroot(run_command, program, timeout):
    """(exit code, error text) of a program started as /probe in its own empty chroot."""
    root = tempfile.mkdtemp(prefix='binfmt-probe-')
    try:
        path = os.path.join(root, 'probe')
        with open(path, 'wb') as handle:
            handle.write(program)
        os.chmod(path, 0o755)
        rc, out, err = run_command([sys.executable, '-c', _CHROOT_SHIM, root, str(int(max(timeout, 1)))])
        if rc == -signal.SIGALRM:
            return rc, 'no exit within %ss' % int(timeout)
        return rc, (err or out).strip() if rc != EXIT_CODE else ''
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_handlers(entries, want_flags, execute, run_command, timeout=10):
    """name -> errors (empty list = works) for registered entries, each foreign program run by run_command."""
    errors = dict((e['name'], static_errors(e, want_flags.get(e['name'], ''))) for e in entries)
    for entry in entries:
        arch = entry['name'][len('qemu-'):] if entry['name'].startswith('qemu-') else None
        if not (execute and not errors[entry['name']] and arch in PROGRAMS):
            continue
        code, why = _run_in_chroot(run_command, make_elf(arch), timeout)
        if code != EXIT_CODE:
            errors[entry['name']].append('a %s program did not run under emulation in an empty chroot (exit %s%s)'
                                         % (arch, code, ', ' + why if why else ''))
    return errors


def static_errors(entry, want_flags):
    """What reading the entry and its interpreter shows is wrong."""
    name = entry['name']
    errors = []
    if not entry.get('enabled'):
        errors.append('%s is disabled' % name)
    missing = [f for f in want_flags if f not in entry.get('flags', '')]
    if missing:
        errors.append('%s lacks the flag(s) %s (flags: %s)' % (name, ''.join(missing), entry.get('flags')))
    real = os.path.realpath(entry['interpreter'])
    if not os.path.isfile(real):
        errors.append('interpreter %s of %s does not exist' % (entry['interpreter'], name))
    elif not is_static(real):
        errors.append('interpreter %s of %s is dynamically linked (BuildKit needs a static one)' % (real, name))
    return errors

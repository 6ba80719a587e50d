# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU handler table and the desired handlers for a list of OCI platforms (pure)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import canonical_flags

# qemu arch -> OCI platforms it serves, ELF magic/mask as the kernel shows them (hex), the Debian mask
# where Debian's packages differ, and the host machines (uname -m) of the same family (never registered).
QEMU = {
    'aarch64': (['linux/arm64', 'linux/arm64/v8'], '7f454c460201010000000000000000000200b700',
                'ffffffffffffff00fffffffffffffffffeffffff', None, ['aarch64', 'arm64']),
    'arm': (['linux/arm', 'linux/arm/v7', 'linux/arm/v6'], '7f454c4601010100000000000000000002002800',
            'ffffffffffffff00fffffffffffffffffeffffff', None, ['aarch64', 'arm64', 'armv7l', 'armv6l', 'armhf', 'arm']),
    'riscv64': (['linux/riscv64'], '7f454c460201010000000000000000000200f300',
                'ffffffffffffff00fffffffffffffffffeffffff', None, ['riscv64']),
    'ppc64le': (['linux/ppc64le'], '7f454c4602010100000000000000000002001500',
                'ffffffffffffff00fffffffffffffffffeffff00', 'fffffffffffffffcfffffffffffffffffeffff00', ['ppc64le']),
    's390x': (['linux/s390x'], '7f454c4602020100000000000000000000020016',
              'ffffffffffffff00fffffffffffffffffffeffff', 'fffffffffffffffcfffffffffffffffffffeffff', ['s390x']),
    'mips64el': (['linux/mips64le'], '7f454c4602010100000000000000000002000800',
                 'ffffffffffffff0000fffffffffffffffeffffff', 'ffffffffffffff00fefffffffffffffffeffffff',
                 ['mips64el', 'mips64le']),
    'mips64': (['linux/mips64'], '7f454c4602020100000000000000000000020008',
               'ffffffffffffff0000fffffffffffffffffeffff', 'ffffffffffffff00fefffffffffffffffffeffff', ['mips64']),
    'loongarch64': (['linux/loong64'], '7f454c4602010100000000000000000002000201',
                    'fffffffffffffffc00fffffffffffffffeffffff', None, ['loongarch64', 'loong64']),
    'i386': (['linux/386'], '7f454c4601010100000000000000000002000300',
             'fffffffffffefe00fffffffffffffffffeffffff', 'fffffffffffefefcfffffffffffffffffeffffff',
             ['x86_64', 'amd64', 'i386', 'i686']),
    'x86_64': (['linux/amd64'], '7f454c4602010100000000000000000002003e00',
               'fffffffffffefe00fffffffffffffffffeffffff', 'fffffffffffefefcfffffffffffffffffeffffff',
               ['x86_64', 'amd64']),
}

# What `all` stands for: the platforms BuildKit's archutil probes.
ALL_PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/riscv64', 'linux/ppc64le', 'linux/s390x', 'linux/386',
                 'linux/mips64le', 'linux/mips64', 'linux/loong64', 'linux/arm/v7']
KNOWN_PLATFORMS = sorted(p for spec in QEMU.values() for p in spec[0])
DEBIAN_INTERPRETER = '/usr/libexec/qemu-binfmt/{arch}-binfmt-P'


class PlatformError(ValueError):
    """An option value that names no known platform or flag set."""


def handler_name(arch):
    return 'qemu-' + arch


def arch_of(name):
    return name[len('qemu-'):] if name.startswith('qemu-') else name


def requested_platforms(platforms):
    """The platforms asked for (`all` expanded); raises PlatformError naming unknown ones."""
    wanted = ALL_PLATFORMS if 'all' in platforms else list(platforms)
    unknown = [p for p in wanted if p not in KNOWN_PLATFORMS]
    if unknown:
        raise PlatformError('platforms: unknown %s (known: %s, all)' % (', '.join(unknown), ', '.join(KNOWN_PLATFORMS)))
    return wanted


def effective_flags(flags, credentials, interpreter):
    """`auto` -> F, P for Debian's -binfmt-P interpreters, C with credentials. Explicit flags must hold F."""
    if flags == 'auto':
        letters = 'F' + ('P' if interpreter.endswith('-binfmt-P') else '') + ('C' if credentials else '')
        return canonical_flags(letters)
    try:
        result = canonical_flags(flags)
    except ValueError as exc:
        raise PlatformError('flags: %r: %s' % (flags, exc))
    if 'F' not in result:
        raise PlatformError('flags: %r lacks F (fix-binary), which BuildKit needs' % flags)
    return result


def desired_handlers(platforms, host_machine, interpreter, flags='auto', credentials=False, masks='auto'):
    """Returns (handlers, native): one entry dict per arch to register (with its platforms), and the
    requested platforms of the host's own family (never registered)."""
    wanted = requested_platforms(platforms)
    debian = masks == 'debian' or (masks == 'auto' and interpreter.startswith('/usr/libexec/qemu-binfmt/'))
    handlers, native = [], []
    for arch in sorted(QEMU):
        served, magic, mask, debian_mask, family = QEMU[arch]
        mine = [p for p in wanted if p in served]
        if not mine:
            continue
        if host_machine in family:
            native += mine
            continue
        path = interpreter.replace('{arch}', arch)
        handlers.append({'name': handler_name(arch), 'type': 'M', 'enabled': True, 'interpreter': path,
                         'flags': effective_flags(flags, credentials, path), 'offset': 0, 'magic': magic,
                         'mask': (debian_mask or mask) if debian else mask, 'extension': '', 'platforms': mine})
    return handlers, native

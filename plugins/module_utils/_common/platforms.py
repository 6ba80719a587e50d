# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Platforms: normalised like containerd, written as os/arch[/variant] (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import platform as _platform

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError

_ARCH_ALIASES = {
    'x86_64': ('amd64', ''), 'x86-64': ('amd64', ''), 'aarch64': ('arm64', ''), 'armhf': ('arm', 'v7'),
    'armel': ('arm', 'v6'), 'i386': ('386', ''), 'i686': ('386', ''), 'ppc64el': ('ppc64le', ''),
}


def normalize_platform(text):
    """{'architecture', 'os'[, 'variant']} the way containerd's platforms.Normalize does."""
    value = str(text).strip().lower()
    if value == 'local':
        value = 'linux/' + _platform.machine()
    parts = value.split('/')
    if len(parts) == 1:
        parts = ['linux'] + parts
    if len(parts) > 3 or not all(parts):
        raise SpecError("platforms: invalid platform '%s': use os/arch[/variant] like linux/arm64" % text)
    os_name, arch, variant = parts[0], parts[1], parts[2] if len(parts) == 3 else ''
    arch, default_variant = _ARCH_ALIASES.get(arch, (arch, ''))
    variant = variant or default_variant
    if arch == 'arm64' and variant == 'v8' or arch == 'amd64' and variant == 'v1':
        variant = ''
    if arch == 'arm' and not variant:
        variant = 'v7'
    result = {'architecture': arch, 'os': os_name}
    if variant:
        result['variant'] = variant
    return result


def format_platform(plat):
    """os/arch[/variant] of an OCI platform dict (the store's, a worker's or normalize_platform's)."""
    return '/'.join(part for part in (plat.get('os'), plat.get('architecture'), plat.get('variant')) if part)


def format_platforms(platforms):
    """format_platform of each platform, without repeats, in order."""
    result = []
    for plat in platforms or []:
        text = format_platform(plat)
        if text not in result:
            result.append(text)
    return result


def normalized_text(text):
    """linux/arm64 for arm64, aarch64 or linux/arm64/v8: a platform the user wrote, as BuildKit names it."""
    return format_platform(normalize_platform(text))


def native_platform():
    """The platform of this machine, normalised."""
    return normalized_text('local')

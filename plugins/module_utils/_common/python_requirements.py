# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Does this interpreter have what the collection's modules need (the Docker SDK >= 7, TOML support, listed
requirements)? Pure standard library: no pip, no packaging (neither is on a bare Debian's Python).

Requirements are PEP 508 strings of the simple kind a role lists: ``name[extras] <op> version, ...`` with an
optional marker on ``python_version`` / ``python_full_version`` (``and``/``or`` of comparisons).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import sys

_REQUIREMENT = re.compile(r'^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*?)\s*(?:;\s*(.*?))?\s*$')
_SPEC = re.compile(r'^\s*(===|==|!=|~=|>=|<=|>|<)\s*([0-9][0-9A-Za-z.*+!-]*)\s*$')
_MARKER = re.compile(r'''^\s*(python_version|python_full_version)\s*(===|==|!=|~=|>=|<=|>|<)\s*(['"])([0-9.*]+)\3\s*$''')
MIN_DOCKER_SDK = (7,)


class RequirementError(ValueError):
    pass


def version_tuple(text):
    """The numeric release of a version string ('7.1.0' -> (7, 1, 0); '2.0.0rc1' -> (2, 0, 0))."""
    parts = []
    for piece in str(text).split('+', maxsplit=1)[0].split('.'):
        digits = re.match(r'\d+', piece)
        if not digits:
            break
        parts.append(int(digits.group(0)))
        if digits.group(0) != piece:
            break
    return tuple(parts)


def _padded(a, b):
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def _compare(found, op, wanted):
    if wanted.endswith('.*') and op in ('==', '!='):
        prefix = version_tuple(wanted[:-2])
        same = found[:len(prefix)] == prefix
        return same if op == '==' else not same
    want = version_tuple(wanted)
    if op == '~=':
        return _compare(found, '>=', wanted) and found[:len(want) - 1] == want[:len(want) - 1]
    left, right = _padded(found, want)
    return {'==': left == right, '===': left == right, '!=': left != right, '>=': left >= right,
            '<=': left <= right, '>': left > right, '<': left < right}[op]


def _marker_applies(marker, python):
    if not marker:
        return True
    for alternative in re.split(r'\s+or\s+', marker):
        results = []
        for term in re.split(r'\s+and\s+', alternative):
            match = _MARKER.match(term.strip().strip('()'))
            if not match:
                raise RequirementError("marker '%s': only python_version and python_full_version comparisons are supported"
                                       % marker)
            here = python[:2] if match.group(1) == 'python_version' else python
            results.append(_compare(here, match.group(2), match.group(4)))
        if all(results):
            return True
    return False


def parse(text):
    """(name, specifiers [(op, version)], marker) of one requirement string; RequirementError when it is not one."""
    match = _REQUIREMENT.match(text or '')
    if not match:
        raise RequirementError("'%s' is not a requirement (name[extras] <op> version, ...; marker)" % text)
    specs = []
    for piece in [p for p in match.group(3).split(',') if p.strip()]:
        spec = _SPEC.match(piece)
        if not spec:
            raise RequirementError("'%s': '%s' is not a version specifier" % (text, piece.strip()))
        specs.append((spec.group(1), spec.group(2)))
    return match.group(1), specs, match.group(4) or ''


def installed_version(name):
    """The installed version of a distribution: an imported module's __version__ (no metadata scan), else its metadata."""
    module = sys.modules.get(name.lower().replace('-', '_'))
    if isinstance(getattr(module, '__version__', None), str):
        return module.__version__
    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8
        return None
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check(requirements, python=None):
    """(applicable, missing): the requirements whose marker applies to this Python (marker dropped, as pip is
    given them) and those of them that are not installed in a matching version."""
    python = tuple(python or sys.version_info[:3])
    applicable, missing = [], []
    for text in requirements:
        name, specs, marker = parse(text)
        try:
            applies = _marker_applies(marker, python)
        except RequirementError as exc:
            raise RequirementError("'%s': %s" % (text, exc))
        if not applies:
            continue
        plain = text.split(';')[0].strip()
        applicable.append(plain)
        version = installed_version(name)
        if version is None or not all(_compare(version_tuple(version), op, v) for op, v in specs):
            missing.append(plain)
    return applicable, missing


def satisfies(version, requirement):
    """Does `version` (of the requirement's package) meet the requirement's specifiers?"""
    _name, specs, _marker = parse(requirement)
    return bool(version) and all(_compare(version_tuple(version), op, v) for op, v in specs)


def stable_interpreter(executable=None):
    """The interpreter's path under the name that outlives a Python upgrade: /usr/bin/python3 rather than the
    /usr/bin/python3.13 interpreter discovery picks, when both are the same file; else the path itself."""
    executable = executable or sys.executable
    base = os.path.basename(executable)
    if re.match(r'^python3\.[0-9]+$', base):
        stable = os.path.join(os.path.dirname(executable), 'python3')
        try:
            if os.path.samefile(stable, executable):
                return stable
        except OSError:
            pass
    return executable


def interpreter_state(requirements):
    """What the modules need from this interpreter: python, python_version, docker_sdk (version or None),
    toml (tomllib or tomli importable), requirements (applicable), missing, ok."""
    docker_sdk = installed_version('docker')
    toml = sys.version_info >= (3, 11)
    if not toml:
        try:
            import tomli  # noqa: F401 pylint: disable=unused-import
            toml = True
        except ImportError:
            pass
    applicable, missing = check(requirements)
    return dict(python=stable_interpreter(), python_version='%d.%d.%d' % sys.version_info[:3], docker_sdk=docker_sdk,
                toml=toml, requirements=applicable, missing=missing,
                ok=bool(docker_sdk and version_tuple(docker_sdk) >= MIN_DOCKER_SDK and toml and not missing))

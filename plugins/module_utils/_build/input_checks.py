# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""buildkit_build inputs that buildx would only reject (or misuse) after a build started; secret values to hide."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.buildkit.fleet.plugins.module_utils._common.store_repair import check_root

_SCALARS = (str, int, float, bool)
_MAX_SECRET_FILE = 1 << 20  # larger files are not read for redaction


def _kind(value):
    return {dict: 'a dict', list: 'a list'}.get(type(value), type(value).__name__)


def check_scalars(params):
    """Every build_args/labels/annotations value is a string, number or boolean (never a dict or list)."""
    for option in ('build_args', 'labels', 'annotations'):
        for key, value in sorted((params.get(option) or {}).items()):
            if value is None or not isinstance(value, _SCALARS):
                return ("%s: the value of '%s' must be a string, number or boolean, got %s (%r)"
                        % (option, key, _kind(value), value))[:300]
    return None


def check_secrets(params, environ=None):
    """Each secret source exists before the build: a readable file for src, a set variable for env."""
    environ = os.environ if environ is None else environ
    for index, secret in enumerate(params.get('secrets') or []):
        label = "secrets[%d] (id '%s')" % (index, secret.get('id'))
        src, env = secret.get('src'), secret.get('env')
        if src is not None:
            if not os.path.isfile(src):
                return "%s: src '%s' is not a file on the target" % (label, src)
            if not os.access(src, os.R_OK):
                return "%s: src '%s' is not readable" % (label, src)
        if env is not None and env not in environ:
            return "%s: environment variable '%s' is not set on the target" % (label, env)
    return None


def check_push_tags(params):
    if any(o.get('type') == 'push' for o in params.get('outputs') or []) and not params.get('tags'):
        return 'tags: an output of type push needs at least one tag (the image name to push)'
    return None


def first_problem(params, root):
    for problem in (check_root(root), check_scalars(params), check_push_tags(params), check_secrets(params)):
        if problem:
            return problem
    return None


def _variants(value):
    """The value and its lines (a secret file is often printed line by line)."""
    found = set([value, value.strip()])
    found.update(line.strip() for line in value.splitlines())
    return [v for v in found if len(v) >= 3]


def secret_values(params, environ=None):
    """Every secret value whatever its source (value, env, src), to redact from results and logs."""
    environ = os.environ if environ is None else environ
    values = set()
    for secret in params.get('secrets') or []:
        text = secret.get('value')
        if secret.get('env') is not None:
            text = environ.get(secret['env'])
        elif secret.get('src') is not None:
            try:
                if os.path.getsize(secret['src']) <= _MAX_SECRET_FILE:
                    with open(secret['src'], 'rb') as handle:
                        text = handle.read().decode('utf-8', 'replace')
            except (IOError, OSError):
                text = None
        if text:
            values.update(_variants(text))
    return sorted(values, key=len, reverse=True)

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module options -> `buildx build` argv and environment, fingerprint inputs, redaction (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import normalized_text

FINGERPRINT_LABEL = 'buildkit.fleet.fingerprint'
SECRET_ENV_PREFIX = 'BUILDKIT_FLEET_SECRET_'
REDACTED = '********'
_REMOTE_RE = re.compile(r'^(https?://|git@|ssh://|git://|github\.com/)|\.git(#.*)?$')

# output type -> (buildx exporter type, fixed attributes)
EXPORTERS = {
    'load': ('docker', {}),
    'push': ('image', {'push': 'true'}),
    'local': ('local', {}),
    'tar': ('tar', {}),
    'oci': ('oci', {}),
}
FILE_OUTPUTS = ('local', 'tar', 'oci')


class CommandError(Exception):
    pass


def is_remote(context):
    return bool(_REMOTE_RE.search(context or ''))


def _csv_field(key, value):
    text = '%s=%s' % (key, value)
    if ',' in text or '"' in text:
        text = '"%s"' % text.replace('"', '""')
    return text


def _csv(fields):
    return ','.join(_csv_field(k, v) for k, v in fields)


def _value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def output_spec(output):
    """--output value for one output dict {type, dest, attrs}."""
    kind = output['type']
    exporter, fixed = EXPORTERS[kind]
    fields = [('type', exporter)]
    if kind in FILE_OUTPUTS:
        if not output.get('dest'):
            raise CommandError("outputs: type %s needs dest" % kind)
        fields.append(('dest', output['dest']))
    attrs = dict(fixed)
    attrs.update(dict((k, _value(v)) for k, v in (output.get('attrs') or {}).items()))
    fields += sorted(attrs.items())
    return _csv(fields)


def cache_spec(cache, direction):
    """--cache-from / --cache-to value for one cache dict {type, ref, src|dest, mode, attrs}."""
    kind = cache['type']
    fields = [('type', kind)]
    if kind == 'registry':
        if not cache.get('ref'):
            raise CommandError('cache_%s: type registry needs ref' % direction)
        fields.append(('ref', cache['ref']))
    elif kind == 'local':
        key = 'src' if direction == 'from' else 'dest'
        path = cache.get(key) or cache.get('src' if key == 'dest' else 'dest')
        if not path:
            raise CommandError('cache_%s: type local needs %s' % (direction, key))
        fields.append((key, path))
    elif kind == 'inline' and direction == 'from':
        raise CommandError('cache_from: use type registry with the image ref to read inline cache')
    if cache.get('mode') and direction == 'to' and kind != 'inline':
        fields.append(('mode', cache['mode']))
    fields += sorted((k, _value(v)) for k, v in (cache.get('attrs') or {}).items())
    return _csv(fields)


def secret_spec(secret, index):
    """(--secret value, extra env) for one secret; values travel in the environment, never in argv."""
    given = [k for k in ('src', 'env', 'value') if secret.get(k) is not None]
    if len(given) != 1:
        raise CommandError("secrets: '%s' needs exactly one of src, env or value" % secret.get('id'))
    if secret.get('src') is not None:
        return _csv([('id', secret['id']), ('src', secret['src'])]), {}
    if secret.get('env') is not None:
        return _csv([('id', secret['id']), ('env', secret['env'])]), {}
    name = '%s%d' % (SECRET_ENV_PREFIX, index)
    return _csv([('id', secret['id']), ('env', name)]), {name: secret['value']}


def dockerfile_path(params):
    """Absolute Dockerfile path (relative paths are relative to the context), or None for inline/remote."""
    if params.get('dockerfile_inline') is not None:
        return None
    context = params['context']
    name = params.get('dockerfile') or 'Dockerfile'
    if os.path.isabs(name):
        return name
    if is_remote(context):
        return None
    return os.path.join(context, name)


def build_argv(base, params, metadata_file, fingerprint):
    """(argv, env, stdin) of the build. base is ['docker', 'buildx'] or [buildx_path]."""
    argv = list(base) + ['build', '--builder', params['builder'], '--progress', 'rawjson',
                         '--metadata-file', metadata_file]
    env = {}
    stdin = None
    if params.get('dockerfile_inline') is not None:
        argv += ['--file', '-']
        stdin = params['dockerfile_inline']
    elif params.get('dockerfile'):
        path = dockerfile_path(params)
        argv += ['--file', path if path else params['dockerfile']]
    for key, value in sorted((params.get('build_args') or {}).items()):
        argv += ['--build-arg', '%s=%s' % (key, _value(value))]
    if params.get('target'):
        argv += ['--target', params['target']]
    if params.get('platforms'):
        argv += ['--platform', ','.join(params['platforms'])]
    for tag in params.get('tags') or []:
        argv += ['--tag', tag]
    labels = dict(params.get('labels') or {})
    if fingerprint:
        labels[FINGERPRINT_LABEL] = fingerprint
    for key, value in sorted(labels.items()):
        argv += ['--label', '%s=%s' % (key, _value(value))]
    for key, value in sorted((params.get('annotations') or {}).items()):
        argv += ['--annotation', '%s=%s' % (key, _value(value))]
    for output in params.get('outputs') or []:
        argv += ['--output', output_spec(output)]
    for cache in params.get('cache_from') or []:
        argv += ['--cache-from', cache_spec(cache, 'from')]
    for cache in params.get('cache_to') or []:
        argv += ['--cache-to', cache_spec(cache, 'to')]
    for index, secret in enumerate(params.get('secrets') or []):
        spec, extra = secret_spec(secret, index)
        argv += ['--secret', spec]
        env.update(extra)
    for ssh in params.get('ssh') or []:
        argv += ['--ssh', ssh]
    for name, value in sorted((params.get('build_contexts') or {}).items()):
        argv += ['--build-context', '%s=%s' % (name, value)]
    if params.get('network'):
        argv += ['--network', params['network']]
    if params.get('no_cache'):
        argv += ['--no-cache']
    if params.get('pull'):
        argv += ['--pull']
    if params.get('provenance') is not None:
        argv += ['--provenance', params['provenance']]
    if params.get('sbom') is not None:
        argv += ['--sbom', params['sbom']]
    if params.get('shm_size'):
        argv += ['--shm-size', params['shm_size']]
    for ulimit in params.get('ulimits') or []:
        argv += ['--ulimit', ulimit]
    for host, address in sorted((params.get('add_hosts') or {}).items()):
        argv += ['--add-host', '%s=%s' % (host, address)]
    argv.append('-' if params['context'] == '-' else params['context'])
    return argv, env, stdin


def fingerprint_options(params):
    """The input options that decide the result, location-free (no paths, no secret values)."""
    def strip_paths(items, keys):
        result = []
        for item in items or []:
            result.append(dict((k, v) for k, v in sorted(item.items()) if k not in keys and v not in (None, {}, [])))
        return result
    platforms = sorted(set(normalized_text(p) for p in params.get('platforms') or []))
    ssh_ids = sorted(s.split('=', 1)[0] for s in params.get('ssh') or [])
    contexts = {}
    for name, value in sorted((params.get('build_contexts') or {}).items()):
        contexts[name] = 'local' if local_dir(value) else value
    return {
        'build_args': dict((k, _value(v)) for k, v in (params.get('build_args') or {}).items()),
        'target': params.get('target') or '',
        'platforms': platforms,
        'tags': sorted(params.get('tags') or []),
        'labels': dict((k, _value(v)) for k, v in (params.get('labels') or {}).items()),
        'annotations': dict((k, _value(v)) for k, v in (params.get('annotations') or {}).items()),
        'outputs': strip_paths(params.get('outputs'), ('dest',)),
        'cache_from': strip_paths(params.get('cache_from'), ('src', 'dest')),
        'cache_to': strip_paths(params.get('cache_to'), ('src', 'dest')),
        'secrets': sorted(s['id'] for s in params.get('secrets') or []),
        'ssh': ssh_ids,
        'build_contexts': contexts,
        'network': params.get('network') or '',
        'no_cache': bool(params.get('no_cache')),
        'pull': bool(params.get('pull')),
        'provenance': params.get('provenance'),
        'sbom': params.get('sbom'),
        'shm_size': params.get('shm_size') or '',
        'ulimits': sorted(params.get('ulimits') or []),
        'add_hosts': dict(params.get('add_hosts') or {}),
        'remote_context': params['context'] if is_remote(params['context']) else None,
    }


def local_dir(value):
    """The directory of a named context given as a local path (or None for URLs, docker-image://, ...)."""
    if not value or '://' in value or is_remote(value):
        return None
    return value


def redact(value, secrets):
    """value (str, list or dict) with every secret value replaced."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return value
    if isinstance(value, dict):
        return dict((k, redact(v, secrets)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            value = value.replace(secret, REDACTED)
    return value

# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Structured results of a build from `--progress rawjson` and `--metadata-file` (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import json
import re

from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import format_platform

# Dockerfile instructions show up as "[2/3] RUN ...", "[stage-1 1/2] COPY ..." or "[linux/arm64 base 1/2] ...".
STEP_RE = re.compile(r'^\[(?:[^\]]*\s)?\d+/\d+\]\s+(\S+)')
LOG_TAIL = 15
_EMULATION_HINTS = ('exec format error', 'no such file or directory', 'no match for platform')


def parse_progress(stderr_text):
    """Vertices (merged by digest, in first-seen order), per-vertex logs, warnings and the plain-text lines."""
    vertices, order, logs, warnings, text = {}, [], {}, [], []
    for line in stderr_text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        try:
            event = json.loads(stripped)
        except ValueError:
            text.append(line)
            continue
        if not isinstance(event, dict):
            text.append(line)
            continue
        for vertex in event.get('vertexes') or []:
            digest = vertex.get('digest')
            if digest not in vertices:
                vertices[digest] = {}
                order.append(digest)
            vertices[digest].update(vertex)
        for entry in event.get('logs') or []:
            try:
                data = base64.b64decode(entry.get('data') or '').decode('utf-8', 'replace')
            except (binascii.Error, ValueError):
                data = ''
            logs.setdefault(entry.get('vertex'), []).append(data)
        for warning in event.get('warnings') or []:
            try:
                short = base64.b64decode(warning.get('short') or '').decode('utf-8', 'replace')
            except (binascii.Error, ValueError):
                short = ''
            warnings.append(short)
    return {'vertices': [vertices[d] for d in order], 'logs': dict((k, ''.join(v)) for k, v in logs.items()),
            'warnings': warnings, 'text': text}


def is_step(vertex):
    return bool(STEP_RE.match(vertex.get('name') or ''))


def _instruction(vertex):
    match = STEP_RE.match(vertex.get('name') or '')
    return match.group(1).upper() if match else None


def step_counts(progress):
    """{total, cached, executed, pulled} over Dockerfile instruction vertices (one per platform).

    FROM is a source, not work: it counts under pulled (base images fetched), not in total."""
    steps = [v for v in progress['vertices'] if is_step(v) and _instruction(v) != 'FROM']
    sources = [v for v in progress['vertices'] if _instruction(v) == 'FROM']
    cached = sum(1 for v in steps if v.get('cached'))
    executed = sum(1 for v in steps if not v.get('cached') and (v.get('started') or v.get('completed')))
    pulled = sum(1 for v in sources if not v.get('cached') and v.get('completed'))
    return {'total': len(steps), 'cached': cached, 'executed': executed, 'pulled': pulled}


_PLATFORM_RE = re.compile(r'^\[([a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?)\s')


def step_counts_by_platform(progress):
    """{platform: step_counts} of a multi-platform build; the steps without a platform (a single-platform build)
    under None. BuildKit names a step with its platform only where the names would clash ("[linux/arm64 1/2]
    COPY ..."); a step named without one takes the platform of the steps it builds on (its inputs)."""
    by_digest = dict((v.get('digest'), v) for v in progress['vertices'])
    memo = {}

    def platform_of(digest, depth=0):
        if digest in memo:
            return memo[digest]
        vertex = by_digest.get(digest) or {}
        match = _PLATFORM_RE.match(vertex.get('name') or '')
        found = match.group(1) if match else None
        if found is None and depth < 200:
            for parent in vertex.get('inputs') or []:
                found = platform_of(parent, depth + 1)
                if found:
                    break
        memo[digest] = found
        return found
    by_platform = {}
    for vertex in progress['vertices']:
        by_platform.setdefault(platform_of(vertex.get('digest')), []).append(vertex)
    return dict((platform, step_counts({'vertices': vertices})) for platform, vertices in by_platform.items())


def tail(text, count=LOG_TAIL):
    lines = [line for line in (text or '').splitlines() if line.strip()]
    return lines[-count:]


def failure(progress):
    """(failing step name or None, its error, last lines of its log) of a failed build."""
    failed = [v for v in progress['vertices'] if v.get('error')]
    failed.sort(key=lambda v: (not is_step(v), 'context canceled' in (v.get('error') or '')))
    if failed:
        vertex = failed[0]
        return vertex.get('name'), vertex.get('error'), tail(progress['logs'].get(vertex.get('digest')))
    errors = [line for line in progress['text'] if line.startswith('ERROR')]
    return None, (errors[-1] if errors else '\n'.join(tail('\n'.join(progress['text']), 3))), \
        tail('\n'.join(progress['text']))


def failure_message(step, error, log_tail):
    if step:
        msg = "build failed at step '%s': %s" % (step, error)
    else:
        msg = 'build failed: %s' % (error or 'buildx exited with an error and no message')
    if log_tail:
        msg += '\nlast log lines:\n  ' + '\n  '.join(log_tail)
    return msg


def missing_emulators(requested, supported, native):
    """Requested platforms (normalised strings) the builder cannot run, when it reported its platforms."""
    if not supported:
        return []
    have = set(supported) | set([native])
    return [p for p in requested if p not in have and p.rsplit('/', 1)[0] not in have]


def emulator_message(builder, missing, supported):
    return ("platform %s cannot run on builder '%s': no QEMU emulator is registered for it (the builder runs: %s). "
            "Register binfmt_misc handlers with the F flag on the build host, with the buildkit.fleet qemu role "
            "(or qemu-user-static / tonistiigi/binfmt), then run the build again."
            % (', '.join(missing), builder, ', '.join(supported)))


def looks_like_emulation(error, log_tail):
    text = ((error or '') + '\n' + '\n'.join(log_tail or [])).lower()
    return any(hint in text for hint in _EMULATION_HINTS)


def load_metadata(text):
    try:
        data = json.loads(text) if text and text.strip() else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def summarize_metadata(metadata):
    """image_id, digest and image names from the metadata-file JSON."""
    names = [n for n in (metadata.get('image.name') or '').split(',') if n]
    return {
        'image_id': metadata.get('containerimage.config.digest'),
        'digest': metadata.get('containerimage.digest') or (metadata.get('containerimage.descriptor') or {}).get('digest'),
        'names': names,
    }


def platform_digests(index, blob_reader=None):
    """{platform: manifest digest} of an OCI index / Docker manifest list; attestation manifests are skipped.

    blob_reader(digest) returns a nested index (as the OCI layout's index.json points to one)."""
    result = {}
    for manifest in (index or {}).get('manifests') or []:
        annotations = manifest.get('annotations') or {}
        if annotations.get('vnd.docker.reference.type') == 'attestation-manifest':
            continue
        media = manifest.get('mediaType') or ''
        if media.endswith('image.index.v1+json') or media.endswith('manifest.list.v2+json'):
            if blob_reader:
                result.update(platform_digests(blob_reader(manifest['digest']), blob_reader))
            continue
        plat = manifest.get('platform') or {}
        if plat.get('architecture'):
            result[format_platform(dict({'os': 'linux'}, **plat))] = manifest['digest']
    return result

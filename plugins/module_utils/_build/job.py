# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One build job: builder check, fingerprint, freshness of outputs, the buildx run and its results.

No AnsibleModule here: a bad input raises SpecError, a failure TaskFailed (with the result details); the run
(run.py) maps them to fail_json. Secret values are redacted there, from every message and detail.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible.module_utils.common.process import get_bin_path
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.buildkit.fleet.plugins.module_utils._build import command as cmd
from ansible_collections.buildkit.fleet.plugins.module_utils._build import fingerprint as fpr
from ansible_collections.buildkit.fleet.plugins.module_utils._build import outputs as outs
from ansible_collections.buildkit.fleet.plugins.module_utils._build import placement
from ansible_collections.buildkit.fleet.plugins.module_utils._build import process
from ansible_collections.buildkit.fleet.plugins.module_utils._build import results as res
from ansible_collections.buildkit.fleet.plugins.module_utils._build.digest_cache import DigestCache
from ansible_collections.buildkit.fleet.plugins.module_utils._common.buildx_store import BuildxStore, default_root
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError, TaskFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._common.platforms import native_platform, normalized_text


# where the docker CLI looks for plugins after its config's cliPluginsExtraDirs and <config dir>/cli-plugins
SYSTEM_PLUGIN_DIRS = ('/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins',
                      '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins')


def buildx_plugin(environ=None):
    """The docker-buildx plugin binary the docker CLI would run for `docker buildx`, or None.

    Running it directly is what `docker buildx` does after starting the CLI and asking every plugin for its
    metadata: the same program with the same arguments, without that start-up."""
    environ = os.environ if environ is None else environ
    config_dir = environ.get('DOCKER_CONFIG') or os.path.join(os.path.expanduser('~'), '.docker')
    dirs = []
    try:
        with open(os.path.join(config_dir, 'config.json')) as handle:
            dirs.extend(json.load(handle).get('cliPluginsExtraDirs') or [])
    except (IOError, OSError, ValueError, AttributeError):
        pass
    dirs.append(os.path.join(config_dir, 'cli-plugins'))
    dirs.extend(SYSTEM_PLUGIN_DIRS)
    for directory in dirs:
        path = os.path.join(directory, 'docker-buildx')
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def buildx_base(params, environ=None):
    """The buildx command: [buildx_path], the docker-buildx plugin, or ['docker', 'buildx']."""
    if params['buildx_path']:
        return [params['buildx_path']]
    plugin = buildx_plugin(environ)
    if plugin:
        return [plugin]
    try:
        return [get_bin_path('docker'), 'buildx']
    except ValueError:
        raise TaskFailed('docker: the docker CLI is not on the PATH of the target; install it or set buildx_path')


def connection_env(params, tmpdir, environ=None):
    """The environment of buildx: BUILDX_CONFIG and the connection options as DOCKER_* variables.

    TLS files are linked into `tmpdir`/certs under the names DOCKER_CERT_PATH wants."""
    env = dict(os.environ if environ is None else environ)
    env['BUILDX_CONFIG'] = params['buildx_config'] or default_root()
    if params.get('docker_host'):
        env['DOCKER_HOST'] = params['docker_host']
    if params.get('api_version') and params['api_version'] != 'auto':
        env['DOCKER_API_VERSION'] = params['api_version']
    if params.get('validate_certs'):
        env['DOCKER_TLS_VERIFY'] = '1'
    elif params.get('tls'):
        env['DOCKER_TLS'] = '1'
        env.pop('DOCKER_TLS_VERIFY', None)
    files = [(params.get('ca_path'), 'ca.pem'), (params.get('client_cert'), 'cert.pem'),
             (params.get('client_key'), 'key.pem')]
    if any(path for path, _name in files):
        certs = os.path.join(tmpdir, 'certs')
        os.mkdir(certs, 0o700)
        base = env.get('DOCKER_CERT_PATH')
        for path, name in files:
            path = path or (os.path.join(base, name) if base else None)
            if path and os.path.exists(path):
                os.symlink(os.path.abspath(path), os.path.join(certs, name))
        env['DOCKER_CERT_PATH'] = certs
    return env


class Build(object):
    """A build of one buildkit_build task, in `tmpdir` (the module's, removed by Ansible)."""

    def __init__(self, params, check_mode, tmpdir, run_command):
        self.params, self.check_mode, self.tmp = params, check_mode, tmpdir
        self.run_command = run_command  # AnsibleModule.run_command
        self.root = params['buildx_config'] or default_root()
        self.metadata_file = os.path.join(tmpdir, 'metadata.json')
        self.env = connection_env(params, tmpdir)
        self.base = buildx_base(params, self.env)
        self._images = None
        self.stored = None

    def run(self, argv, stdin=None, timeout=120, extra_env=None):
        return process.run(self.run_command, argv, dict(self.env, **(extra_env or {})), stdin=stdin, timeout=timeout)

    # --- inputs -------------------------------------------------------------------------------
    def check_builder(self):
        try:
            self.stored = BuildxStore(self.root).read(self.params['builder'])
        except ValueError as exc:
            raise SpecError('builder: buildx store entry of builder %s is not valid JSON: %s' % (self.params['builder'], exc))
        if self.stored is None:
            raise SpecError("builder: '%s' not found in the buildx store %s: create it first with the "
                            "buildkit.fleet.buildkit_builder module (or docker buildx create)" % (self.params['builder'], self.root))

    def compute_fingerprint(self):
        params = self.params
        context = params['context']
        remote = cmd.is_remote(context)
        if not remote and not os.path.isdir(context):
            raise SpecError('context: %s is not a directory on the target' % context)
        dockerfile = cmd.dockerfile_path(params)
        if params['dockerfile_inline'] is not None:
            text = params['dockerfile_inline']
        elif dockerfile is None:
            text = 'remote:' + (params['dockerfile'] or 'Dockerfile')
        else:
            try:
                with open(dockerfile, 'rb') as handle:
                    text = handle.read()
            except (IOError, OSError) as exc:
                raise SpecError('dockerfile: cannot read %s: %s' % (dockerfile, exc))
        contexts = []
        if remote:
            contexts.append(('context', None, [], context))
        else:
            contexts.append(('context', context, fpr.read_dockerignore(context, dockerfile), None))
        for name, value in sorted((params['build_contexts'] or {}).items()):
            path = cmd.local_dir(value)
            if path and os.path.isdir(path):
                contexts.append(('named:' + name, path, fpr.read_dockerignore(path), None))
            else:
                contexts.append(('named:' + name, None, [], value))
        caches = []

        def cached_hasher(root):
            caches.append(DigestCache(root, fpr.hash_file, writable=not self.check_mode))
            return caches[-1]  # cached(path) first, then digest(path) for the files it does not know
        try:
            result = fpr.fingerprint(text, cmd.fingerprint_options(params), contexts, cached_hasher)
        except fpr.FingerprintError as exc:
            raise SpecError(str(exc))
        for cache in caches:
            cache.save()
        return result

    # --- outputs ------------------------------------------------------------------------------
    def inspect_image(self, tag):
        if self._images is None:
            # imported here: only load outputs inspect images
            from ansible_collections.buildkit.fleet.plugins.module_utils._build.image_inspect import ImageInspector
            self._images = ImageInspector(self.params)
        return self._images.inspect(tag)

    def inspect_remote(self, tag):
        rc, out, _err = self.run(self.base + ['imagetools', 'inspect', '--builder', self.params['builder'], tag,
                                              '--format', '{{json .Image}}'], timeout=60)
        if rc != 0:
            return None
        try:
            return outs.image_configs(json.loads(out))
        except ValueError:
            return None

    def identity(self):
        """Where the build's sources are (context location, Dockerfile path, target), for placement."""
        params = self.params
        context = params['context']
        location = context if cmd.is_remote(context) or context == '-' else os.path.abspath(context)
        dockerfile = '-' if params['dockerfile_inline'] is not None else (params['dockerfile'] or 'Dockerfile')
        return placement.identity(location, dockerfile, params['target'])

    def platforms(self):
        return [normalized_text(p) for p in self.params['platforms'] or []]

    def out_of_date(self, fingerprint):
        """Reasons to build ([] means skip) and what is known about the existing result."""
        params = self.params
        if params['rebuild'] == 'always':
            return ['rebuild=always'], {}
        outputs = params['outputs'] or []
        if not outputs:
            return ['no outputs: the result stays in the build cache, there is nothing to check'], {}
        # rebuild=missing only asks for existence: compare against whatever is recorded
        reasons, known = [], {}
        tags = params['tags'] or []
        for output in outputs:
            kind = output['type']
            if kind == 'load':
                if params['rebuild'] == 'missing':
                    missing = [t for t in tags if self.inspect_image(t) is None]
                    reason = ('image %s is not in Docker' % missing[0]) if missing else (
                        None if tags else 'load output without tags cannot be checked')
                    image_id = None
                else:
                    reason, image_id = outs.check_load(self.inspect_image, tags, fingerprint)
                if image_id:
                    known['image_id'] = image_id
            elif kind == 'push':
                if params['rebuild'] == 'missing':
                    missing = [t for t in tags if not self.inspect_remote(t)]
                    reason = ('tag %s is not in the registry' % missing[0]) if missing else (
                        None if tags else 'push output without tags cannot be checked')
                else:
                    reason, _found = outs.check_push(self.inspect_remote, tags, fingerprint, self.platforms())
            else:
                if not output.get('dest'):
                    raise SpecError('outputs: type %s needs dest' % kind)
                if params['rebuild'] == 'missing':
                    reason = None if os.path.lexists(output['dest']) else '%s output %s does not exist' % (kind, output['dest'])
                    record = outs.read_record(output['dest'])
                else:
                    reason, record = outs.check_file(output, fingerprint)
                if record and not reason:
                    for key in ('image_id', 'digest', 'platform_digests'):
                        if record.get(key):
                            known.setdefault(key, record[key])
            if reason:
                reasons.append(reason)
        return reasons, known

    # --- build --------------------------------------------------------------------------------
    def build(self, fingerprint, argv, env, stdin):
        started = time.monotonic()
        rc, _out, err = self.run(argv, stdin=stdin, timeout=self.params['build_timeout'], extra_env=env)
        duration = round(time.monotonic() - started, 3)
        progress = res.parse_progress(err)
        steps = res.step_counts(progress)
        common = dict(fingerprint=fingerprint, command=argv, steps=steps, built=False, build_duration=duration)
        if rc is None:
            step, _error, log_tail = res.failure(progress)
            raise TaskFailed('build did not finish within build_timeout=%ss%s' % (
                self.params['build_timeout'], (" (running step '%s')" % step) if step else ''), log_tail=log_tail, **common)
        if rc != 0:
            step, error, log_tail = res.failure(progress)
            msg = res.failure_message(step, error, log_tail)
            missing, supported = self.missing_emulators()
            if missing:
                msg = res.emulator_message(self.params['builder'], missing, supported) + '\n' + msg
            raise TaskFailed(msg, failed_step=step, log_tail=log_tail, **common)
        with open(self.metadata_file, 'rb') as handle:
            metadata = res.load_metadata(to_text(handle.read()))
        return metadata, progress, steps

    def missing_emulators(self):
        """(requested platforms the builder cannot run, the platforms it can); asked only after a failed build."""
        requested = self.platforms()
        if not requested:
            return [], ()
        # imported here: node access (and the Docker SDK) is only needed to explain a failed build
        from ansible_collections.buildkit.fleet.plugins.module_utils._node.access import builder_platforms
        try:
            stored = BuildxStore(self.root).read(self.params['builder'])
        except ValueError:
            return [], ()
        supported = builder_platforms(stored, self.params)
        return res.missing_emulators(requested, supported, native_platform()), supported

    def platform_digests(self):
        params = self.params
        for output in params['outputs'] or []:
            if output['type'] == 'push' and params['tags']:
                rc, out, _err = self.run(self.base + ['imagetools', 'inspect', '--builder', params['builder'],
                                                      params['tags'][0], '--raw'], timeout=60)
                if rc == 0:
                    try:
                        return res.platform_digests(json.loads(out))
                    except ValueError:
                        pass
            if output['type'] == 'oci' and output.get('dest'):
                found = outs.oci_platform_digests(output['dest'])
                if found:
                    return found
        return {}

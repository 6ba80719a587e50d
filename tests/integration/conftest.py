"""Real-daemon fixtures: run modules through Ansible and look at Docker and the buildx store directly."""
import json
import os
import subprocess
import sys
import uuid

import docker
import pytest

from support import DEFAULT_IMAGE, TEST_IMAGE, remove_builder_traces


class AnsibleRunner(object):
    """Runs one module task with `ansible` ad hoc (real Ansible, real module) and returns its result."""

    def __init__(self, workdir, buildx_config):
        self.workdir, self.buildx_config = workdir, buildx_config
        self.count = 0

    def __call__(self, module, check=False, diff=False, **args):
        self.count += 1
        tree = os.path.join(self.workdir, 'tree%d' % self.count)
        cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', 'buildkit.fleet.' + module,
               '-a', json.dumps(args), '-t', tree, '-e', 'ansible_python_interpreter=' + sys.executable]
        cmd += ['--check'] if check else []
        cmd += ['--diff', '-vvv'] if diff else []  # the tree callback keeps 'diff' only at -vvv
        env = dict(os.environ, BUILDX_CONFIG=self.buildx_config, ANSIBLE_NOCOLOR='1',
                   ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
        path = os.path.join(tree, 'localhost')
        if not os.path.exists(path):
            raise AssertionError('no result from ansible (rc %s):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr))
        with open(path) as handle:
            result = json.load(handle)
        result['_stdout'], result['_stderr'] = proc.stdout, proc.stderr  # warnings are only in the output
        result.setdefault('failed', proc.returncode != 0)  # the tree callback drops the flag
        return result


@pytest.fixture
def local_module(localhost, monkeypatch, buildx_config):
    """pytest-ansible's `localhost` (an ad hoc play in this process, one result dict per host) for the collection's
    modules: local_module('binfmt_misc', platforms=[...]) runs buildkit.fleet.binfmt_misc with this venv's Python
    and the test's buildx store and returns its result (a dict with `is_failed`, `is_changed`). It has no check
    or diff mode: tests of those use the `ansible` fixture."""
    localhost.options['inventory_manager'].get_host('localhost').set_variable('ansible_python_interpreter', sys.executable)
    monkeypatch.setenv('BUILDX_CONFIG', buildx_config)

    def run(module, **args):
        return getattr(localhost, 'buildkit.fleet.' + module)(**args)['localhost']
    return run


@pytest.fixture(scope='session')
def docker_client():
    client = docker.from_env(timeout=120)
    try:
        client.ping()
    except Exception as exc:  # the harness must have started it: a missing daemon is a failure, not a skip
        pytest.fail('no Docker daemon answers (run tests/harness/setup.sh): %s' % exc)
    for image in (TEST_IMAGE, DEFAULT_IMAGE):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            pytest.fail('image %s is missing (run tests/harness/setup.sh)' % image)
    return client


@pytest.fixture
def buildx_config(tmp_path):
    path = tmp_path / 'buildx'
    path.mkdir()
    return str(path)


@pytest.fixture
def ansible(tmp_path, buildx_config):
    return AnsibleRunner(str(tmp_path), buildx_config)


@pytest.fixture
def builder(docker_client, buildx_config):
    """A unique builder name; its container, volume and store entry are removed afterwards."""
    names = []

    def make(prefix='t'):
        name = '%s%s' % (prefix, uuid.uuid4().hex[:8])
        names.append(name)
        return name
    yield make
    for name in names:
        remove_builder_traces(docker_client, name.lower() + '0')

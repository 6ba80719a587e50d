"""The build job's environment and buildx command: connection options as DOCKER_* variables, the plugin binary."""
import json
import os

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._build import job
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import TaskFailed


def executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('#!/bin/sh\n')
    path.chmod(0o755)
    return str(path)


def test_buildx_plugin_in_the_order_of_the_docker_cli(tmp_path, monkeypatch):
    monkeypatch.setattr(job, 'SYSTEM_PLUGIN_DIRS', (str(tmp_path / 'system'),))
    config = tmp_path / 'config'
    config.mkdir()
    environ = {'DOCKER_CONFIG': str(config)}
    assert job.buildx_plugin(environ) is None
    system = executable(tmp_path / 'system' / 'docker-buildx')
    assert job.buildx_plugin(environ) == system
    user = executable(config / 'cli-plugins' / 'docker-buildx')
    assert job.buildx_plugin(environ) == user
    extra = executable(tmp_path / 'extra' / 'docker-buildx')
    (config / 'config.json').write_text(json.dumps({'cliPluginsExtraDirs': [str(tmp_path / 'extra')]}))
    assert job.buildx_plugin(environ) == extra
    (tmp_path / 'extra' / 'docker-buildx').chmod(0o644)  # not executable: the CLI would not run it either
    assert job.buildx_plugin(environ) == user


def test_buildx_base(tmp_path, monkeypatch):
    monkeypatch.setattr(job, 'SYSTEM_PLUGIN_DIRS', ())
    environ = {'DOCKER_CONFIG': str(tmp_path)}
    assert job.buildx_base({'buildx_path': '/opt/buildx'}, environ) == ['/opt/buildx']
    plugin = executable(tmp_path / 'cli-plugins' / 'docker-buildx')
    assert job.buildx_base({'buildx_path': None}, environ) == [plugin]
    os.unlink(plugin)
    monkeypatch.setenv('PATH', str(tmp_path / 'bin'))
    with pytest.raises(TaskFailed, match='docker CLI is not on the PATH'):
        job.buildx_base({'buildx_path': None}, environ)
    docker = executable(tmp_path / 'bin' / 'docker')
    assert job.buildx_base({'buildx_path': None}, environ) == [docker, 'buildx']


def params(**kwargs):
    base = dict(buildx_config=None, docker_host=None, api_version='auto', tls=False, validate_certs=False,
                ca_path=None, client_cert=None, client_key=None)
    base.update(kwargs)
    return base


def test_connection_env(tmp_path):
    env = job.connection_env(params(buildx_config='/store', docker_host='tcp://h:2375', api_version='1.44'),
                             str(tmp_path), environ={'DOCKER_TLS_VERIFY': '1', 'KEEP': 'x'})
    assert env['BUILDX_CONFIG'] == '/store' and env['DOCKER_HOST'] == 'tcp://h:2375'
    assert env['DOCKER_API_VERSION'] == '1.44' and env['KEEP'] == 'x'
    env = job.connection_env(params(tls=True), str(tmp_path), environ={'DOCKER_TLS_VERIFY': '1'})
    assert env['DOCKER_TLS'] == '1' and 'DOCKER_TLS_VERIFY' not in env


def test_tls_files_linked_in_the_module_tmpdir(tmp_path):
    key = tmp_path / 'client.key'
    key.write_text('k')
    ca = tmp_path / 'ca.crt'
    ca.write_text('c')
    tmpdir = tmp_path / 'moduletmp'
    tmpdir.mkdir()
    env = job.connection_env(params(validate_certs=True, ca_path=str(ca), client_key=str(key)), str(tmpdir),
                             environ={})
    certs = tmpdir / 'certs'
    assert env['DOCKER_CERT_PATH'] == str(certs) and env['DOCKER_TLS_VERIFY'] == '1'
    assert sorted(os.listdir(str(certs))) == ['ca.pem', 'key.pem']
    assert (certs / 'key.pem').read_text() == 'k' and oct(certs.stat().st_mode & 0o777) == '0o700'

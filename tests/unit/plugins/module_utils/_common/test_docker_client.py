"""The client helper fails clearly (mocks are allowed in unit tests only)."""
from unittest import mock

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common import docker_client as dc


def params(**kw):
    base = dict(docker_host='unix:///nowhere.sock', api_version='auto', timeout=5, tls=False, validate_certs=False,
                ca_path=None, client_cert=None, client_key=None)
    base.update(kw)
    return base


def test_unreachable_daemon_names_the_host():
    with pytest.raises(dc.DockerConnectionError) as err:
        dc.connect(params())
    assert 'unix:///nowhere.sock' in str(err.value)


def test_too_old_api_is_refused():
    fake = mock.Mock(base_url='http://docker')
    fake._get.return_value = mock.Mock(headers={'Api-Version': '1.40'})
    with mock.patch.object(dc.docker, 'APIClient', return_value=fake):
        with pytest.raises(dc.DockerConnectionError) as err:
            dc.connect(params(docker_host='tcp://old:2375'))
    assert '1.40' in str(err.value) and 'tcp://old:2375' in str(err.value)


def test_client_cert_needs_key():
    with pytest.raises(dc.DockerConnectionError) as err:
        dc.connect(params(tls=True, client_cert='/c.pem'))
    assert 'client_cert and client_key' in str(err.value)


def test_default_host():
    assert dc.docker_host({'docker_host': None}) == 'unix:///var/run/docker.sock'


def test_api_version_is_capped_at_the_sdk():
    fake = mock.Mock(base_url='http://docker')
    fake._get.return_value = mock.Mock(headers={'Api-Version': '9.99'})
    with mock.patch.object(dc.docker, 'APIClient', return_value=fake):
        client = dc.connect(params())
    assert client._version == dc.docker.constants.DEFAULT_DOCKER_API_VERSION


def test_missing_sdk_fails_with_install_hint():
    module = mock.Mock()
    module.fail_json.side_effect = SystemExit
    with mock.patch.object(dc, 'DOCKER_IMPORT_ERROR', 'Traceback: no module named docker'):
        with pytest.raises(SystemExit):
            dc.check_sdk(module)
    assert 'docker' in module.fail_json.call_args[1]['msg']

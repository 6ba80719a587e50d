"""buildkit_python_info on this machine's Python and its APT: what the builder role decides `auto` from."""
import shutil
import subprocess
import sys

import docker
import pytest


def test_the_harness_python_qualifies(ansible):
    result = ansible('buildkit_python_info', distro_package='python3-docker')
    assert not result.get('failed') and result['changed'] is False, result
    assert result['python'] == sys.executable and result['ok'] is True, result
    assert result['docker_sdk'] == docker.__version__ and result['toml'] is True
    assert result['requirements'] == ['docker>=7'] and result['missing'] == []  # tomli's marker: not on 3.11+
    assert result['venv'] is True and result['packaging'] is True


def test_missing_requirement_and_the_distro_package(ansible):
    result = ansible('buildkit_python_info', requirements=['docker>=7', 'buildkit-fleet-no-such-package>=1'])
    assert result['ok'] is False and result['missing'] == ['buildkit-fleet-no-such-package>=1'], result
    assert result['distro_package_qualifies'] is False  # something besides the SDK is missing
    if not shutil.which('apt-cache'):
        assert result['distro_package'] == {'name': 'python3-docker', 'installed': None, 'candidate': None}
        return
    policy = subprocess.run(['apt-cache', 'policy', 'python3-docker'], capture_output=True, text=True, check=False).stdout
    candidate = [line.split(':', 1)[1].strip() for line in policy.splitlines() if line.strip().startswith('Candidate:')]
    assert result['distro_package']['candidate'] == (candidate[0] if candidate and candidate[0] != '(none)' else None)


@pytest.mark.parametrize('requirement', ['>=7', "docker; sys_platform == 'linux'"])
def test_a_bad_requirement_fails_naming_it(ansible, requirement):
    result = ansible('buildkit_python_info', requirements=[requirement])
    assert result['failed'] and result['msg'].startswith('requirements: ') and requirement in result['msg'], result

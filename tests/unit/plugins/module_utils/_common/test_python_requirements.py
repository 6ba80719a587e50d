import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common import python_requirements as r


@pytest.mark.parametrize('version, requirement, ok', [
    ('7.1.0-2', 'docker>=7', True),            # Debian 13's python3-docker
    ('5.0.3-1', 'docker>=7', False),           # Debian 12's
    ('7.0.0', 'docker>=7,<8', True),
    ('2.0.1', 'tomli~=2.0', True),
    ('3.0', 'tomli~=2.0', False),
    ('1.4.2', 'x==1.4.*', True),
    ('1.5', 'x!=1.5', False),
    ('', 'docker>=7', False),
])
def test_satisfies(version, requirement, ok):
    assert r.satisfies(version, requirement) is ok


def test_markers_apply_to_the_python_version():
    reqs = ['docker>=7', "tomli; python_version < '3.11'", "x; python_version >= '3.12' or python_full_version == '3.9.2'"]
    assert r.check(reqs, python=(3, 9, 2))[0] == ['docker>=7', 'tomli', 'x']
    assert r.check(reqs, python=(3, 11, 2))[0] == ['docker>=7']
    assert r.check(reqs, python=(3, 13, 5))[0] == ['docker>=7', 'x']


def test_missing_distribution_is_missing():
    assert r.check(['no-such-distribution-here>=1'])[1] == ['no-such-distribution-here>=1']


@pytest.mark.parametrize('text', ['', '>=7', 'docker>>7', "docker; sys_platform == 'linux'"])
def test_bad_requirement_names_it(text):
    with pytest.raises(r.RequirementError):
        r.check([text])


def test_stable_interpreter_prefers_the_unversioned_name_of_the_same_file(tmp_path):
    from ansible_collections.buildkit.fleet.plugins.module_utils._common.python_requirements import stable_interpreter
    real = tmp_path / 'python3.13'
    real.write_text('')
    (tmp_path / 'python3').symlink_to('python3.13')
    assert stable_interpreter(str(real)) == str(tmp_path / 'python3')
    other = tmp_path / 'python3.12'
    other.write_text('')
    assert stable_interpreter(str(other)) == str(other)  # python3 is another file
    venv = tmp_path / 'venv-python'
    venv.write_text('')
    assert stable_interpreter(str(venv)) == str(venv)

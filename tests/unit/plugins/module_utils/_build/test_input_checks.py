"""buildkit_build inputs checked up front, and the secret values to redact."""
from ansible_collections.buildkit.fleet.plugins.module_utils._build import input_checks as c


def test_scalars():
    assert c.check_scalars({'build_args': {'A': '1', 'B': 2, 'C': True, 'D': 1.5}}) is None
    assert "build_args: the value of 'A' must be" in c.check_scalars({'build_args': {'A': {'x': 1}}})
    assert "labels: the value of 'l'" in c.check_scalars({'labels': {'l': [1]}})
    assert "annotations: the value of 'n'" in c.check_scalars({'annotations': {'n': None}})


def test_secrets_sources(tmp_path):
    secret = tmp_path / 's'
    secret.write_text('v')
    assert c.check_secrets({'secrets': [{'id': 'a', 'src': str(secret)}, {'id': 'b', 'env': 'X'}]}, {'X': ''}) is None
    assert 'secrets[0]' in c.check_secrets({'secrets': [{'id': 'a', 'src': str(tmp_path / 'none')}]}, {})
    assert "'Y' is not set" in c.check_secrets({'secrets': [{'id': 'a', 'env': 'Y'}]}, {})


def test_push_needs_tags(tmp_path):
    assert c.check_push_tags({'outputs': [{'type': 'push'}], 'tags': None}).startswith('tags:')
    assert c.check_push_tags({'outputs': [{'type': 'push'}], 'tags': ['r/x:1']}) is None
    assert c.first_problem({'outputs': None}, str(tmp_path / 'secret-file-not-there')) is None


def test_secret_values_from_every_source(tmp_path):
    secret = tmp_path / 's'
    secret.write_text('line-one\nline-two\n')
    values = c.secret_values({'secrets': [{'id': 'a', 'src': str(secret)}, {'id': 'b', 'env': 'E'},
                                          {'id': 'c', 'value': 'plain'}]}, {'E': 'from-env'})
    for expected in ('line-one', 'line-two', 'from-env', 'plain', 'line-one\nline-two'):
        assert expected in values
    assert values == sorted(values, key=len, reverse=True)

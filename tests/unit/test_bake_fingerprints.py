"""buildkit_bake fingerprints: the same code as buildkit_build's, per resolved target."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._bake import fingerprints as f
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    root = tmp_path / 'proj'
    (root / 'web' / 'notes').mkdir(parents=True)
    (root / 'web' / 'Dockerfile').write_text('FROM scratch\nCOPY . /\n')
    (root / 'web' / '.dockerignore').write_text('notes/\n')
    (root / 'web' / 'a').write_text('a')
    (root / 'shared').mkdir()
    (root / 'shared' / 's').write_text('s')
    return root


def fingerprint(root, definition, deps=None):
    return f.Fingerprinter(str(root), writable=True).target('web', definition, deps or {})


DEF = {'context': 'web', 'dockerfile': 'Dockerfile', 'tags': ['web:1'], 'output': [{'type': 'docker'}]}


def test_stable_and_dockerignore(tree):
    first = fingerprint(tree, DEF)
    (tree / 'web' / 'notes' / 'x').write_text('ignored')
    assert fingerprint(tree, DEF)[0] == first[0]
    (tree / 'web' / 'a').write_text('changed')
    second = fingerprint(tree, DEF)
    assert second[0] != first[0]
    assert second[2]['contexts']['context'] != first[2]['contexts']['context']
    assert second[2]['definition'] == first[2]['definition']


def test_definition_dependency_and_named_context(tree):
    base = fingerprint(tree, DEF)
    assert fingerprint(tree, dict(DEF, args={'X': '1'}))[2]['definition']['args.X']
    assert fingerprint(tree, DEF, {'base': 'sha256:1'})[0] != base[0]
    named = dict(DEF, contexts={'shared': 'shared', 'img': 'docker-image://alpine'})
    one = fingerprint(tree, named)
    (tree / 'shared' / 's').write_text('t')
    two = fingerprint(tree, named)
    assert one[0] != two[0] and one[2]['contexts']['named:shared'] != two[2]['contexts']['named:shared']


def test_content_ignores_outputs(tree):
    pushed = fingerprint(tree, dict(DEF, output=[{'type': 'registry'}]))
    cacheonly = fingerprint(tree, dict(DEF, output=[{'type': 'cacheonly'}]))
    assert pushed[0] != cacheonly[0]
    assert pushed[1]['content'] == cacheonly[1]['content']


def test_secret_values_never_count(tree):
    one = fingerprint(tree, dict(DEF, secret=[{'id': 'tok', 'env': 'A'}]))
    two = fingerprint(tree, dict(DEF, secret=[{'id': 'tok', 'src': '/elsewhere'}]))
    assert one[0] == two[0]
    assert fingerprint(tree, dict(DEF, secret=[{'id': 'other', 'env': 'A'}]))[0] != one[0]


def test_inline_dockerfile_and_errors(tree):
    inline = fingerprint(tree, dict(DEF, **{'dockerfile-inline': 'FROM scratch\n'}))
    assert inline[0] != fingerprint(tree, DEF)[0]
    with pytest.raises(SpecError, match="context 'nosuch'"):
        fingerprint(tree, dict(DEF, context='nosuch'))
    with pytest.raises(SpecError, match='cannot read its Dockerfile'):
        fingerprint(tree, dict(DEF, dockerfile='Nope'))

"""Fingerprint: reproducible across umask, mtime and owner; .dockerignore with buildx semantics."""
import os
import subprocess
import time

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._build import fingerprint as fpr


def make_tree(root, umask):
    old = os.umask(umask)
    try:
        os.makedirs(os.path.join(root, 'src', 'deep'))
        os.makedirs(os.path.join(root, 'empty'))
        for rel, data in (('Dockerfile', b'FROM scratch\n'), ('src/a.txt', b'a'), ('src/deep/b.bin', b'\0' * 100000),
                          ('.dockerignore', b'*.log\n')):
            with open(os.path.join(root, rel), 'wb') as handle:
                handle.write(data)
        with open(os.path.join(root, 'run.sh'), 'wb') as handle:
            handle.write(b'#!/bin/sh\n')
        os.chmod(os.path.join(root, 'run.sh'), 0o777 & ~umask)
        os.symlink('src/a.txt', os.path.join(root, 'link'))
    finally:
        os.umask(old)


def tree(root):
    return fpr.tree_digest(str(root), fpr.read_dockerignore(str(root)))[0]


def test_same_tree_other_umask_and_mtimes_same_digest(tmp_path):
    make_tree(str(tmp_path / 'a'), 0o022)
    time.sleep(0.01)
    make_tree(str(tmp_path / 'b'), 0o002)
    for dirpath, dirnames, filenames in os.walk(str(tmp_path / 'b')):
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (1, 1))
    assert oct(os.stat(str(tmp_path / 'a' / 'src' / 'a.txt')).st_mode & 0o777) != \
        oct(os.stat(str(tmp_path / 'b' / 'src' / 'a.txt')).st_mode & 0o777)
    assert tree(tmp_path / 'a') == tree(tmp_path / 'b')


def test_content_path_exec_bit_symlink_and_empty_dir_count(tmp_path):
    root = tmp_path / 'a'
    make_tree(str(root), 0o022)
    base = tree(root)
    changes = [
        lambda: (root / 'src' / 'a.txt').write_bytes(b'b'),
        lambda: os.rename(str(root / 'src' / 'a.txt'), str(root / 'src' / 'c.txt')),
        lambda: os.chmod(str(root / 'src' / 'c.txt'), 0o755),
        lambda: (os.unlink(str(root / 'link')), os.symlink('other', str(root / 'link'))),
        lambda: os.rmdir(str(root / 'empty')),
    ]
    seen = {base}
    for change in changes:
        change()
        digest = tree(root)
        assert digest not in seen
        seen.add(digest)
    os.chmod(str(root / 'src' / 'c.txt'), 0o700)  # still executable: no change
    assert tree(root) in seen


def test_dockerignored_files_do_not_count(tmp_path):
    root = tmp_path / 'a'
    make_tree(str(root), 0o022)
    base = tree(root)
    (root / 'debug.log').write_bytes(b'x')
    (root / 'src' / 'deep' / 'trace.log').write_bytes(b'y')  # *.log matches only at the top
    assert tree(root) != base
    (root / '.dockerignore').write_bytes(b'**/*.log\n')
    with_ignore = tree(root)
    (root / 'debug.log').write_bytes(b'changed')
    (root / 'src' / 'deep' / 'trace.log').write_bytes(b'changed')
    assert tree(root) == with_ignore


@pytest.mark.parametrize('patterns,path,excluded', [
    (['*.log'], 'a.log', True),
    (['*.log'], 'dir/a.log', False),
    (['**/*.log'], 'dir/sub/a.log', True),
    (['**/*.log'], 'a.log', True),
    (['dir'], 'dir/sub/file', True),  # a parent directory match excludes everything below
    (['dir', '!dir/keep'], 'dir/keep', False),
    (['dir', '!dir/keep'], 'dir/other', True),
    (['*', '!README*'], 'README.md', False),
    (['/abs'], 'abs', True),
    (['./dir/../x'], 'x', True),
    (['a?c'], 'abc', True),
    (['a?c'], 'a/c', False),
    (['[ab]x'], 'bx', True),
    (['# comment', '', 'tmp/'], 'tmp/file', True),
    (['dir/**'], 'dir/x/y', True),
    (['!x', 'x'], 'x', True),
    (['x', '!x'], 'x', False),
    (['a.b'], 'axb', False),
])
def test_patternmatcher_semantics(patterns, path, excluded):
    assert fpr.is_excluded(path, fpr.parse_dockerignore('\n'.join(patterns))) is excluded


def test_exceptions_descend_into_excluded_dirs(tmp_path):
    root = tmp_path / 'c'
    (root / 'dir' / 'sub').mkdir(parents=True)
    (root / 'dir' / 'keep').write_bytes(b'k')
    (root / 'dir' / 'sub' / 'drop').write_bytes(b'd')
    entries = fpr.walk(str(root), fpr.parse_dockerignore('dir\n!dir/keep\n'))
    assert [(entry[0], entry[1]) for entry in entries] == [('d', 'dir'), ('f', 'dir/keep')]


def test_dockerfile_specific_ignore_wins(tmp_path):
    (tmp_path / '.dockerignore').write_bytes(b'a\n')
    (tmp_path / 'build.Dockerfile.dockerignore').write_bytes(b'b\n')
    patterns = fpr.read_dockerignore(str(tmp_path), str(tmp_path / 'build.Dockerfile'))
    assert [p.text for p in patterns] == ['b']
    assert [p.text for p in fpr.read_dockerignore(str(tmp_path), str(tmp_path / 'Dockerfile'))] == ['a']


def test_fingerprint_parts(tmp_path):
    make_tree(str(tmp_path / 'a'), 0o022)
    ctx = [('context', str(tmp_path / 'a'), [], None)]
    one, details = fpr.fingerprint('FROM scratch\n', {'build_args': {'A': '1'}}, ctx)
    assert one.startswith('sha256:') and details['contexts']['context']['entries'] > 5
    assert fpr.fingerprint(b'FROM scratch\n', {'build_args': {'A': '1'}}, ctx)[0] == one
    assert fpr.fingerprint('FROM scratch\n', {'build_args': {'A': '2'}}, ctx)[0] != one
    assert fpr.fingerprint('FROM scratch\nRUN x\n', {'build_args': {'A': '1'}}, ctx)[0] != one
    assert fpr.fingerprint('FROM scratch\n', {'build_args': {'A': '1'}},
                           [('context', None, [], 'https://git.example/x.git')])[0] != one


def test_git_clone_and_copy_agree(tmp_path):
    """A fresh clone (other umask, fresh mtimes, other owner dirs) fingerprints like the original."""
    src = tmp_path / 'src'
    make_tree(str(src), 0o022)
    env = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@x', GIT_COMMITTER_NAME='t',
               GIT_COMMITTER_EMAIL='t@x')
    subprocess.run(['git', 'init', '-q', str(src)], check=True)
    subprocess.run(['git', '-C', str(src), 'add', '-A'], check=True)
    subprocess.run(['git', '-C', str(src), 'commit', '-qm', 'x'], check=True, env=env)
    clone = tmp_path / 'clone'
    subprocess.run(['sh', '-c', 'umask 002 && git clone -q "$0" "$1"', str(src), str(clone)], check=True)
    for root in (src, clone):
        (root / '.dockerignore').write_bytes(b'.git\n')
        os.makedirs(str(root / 'empty'), exist_ok=True)  # git does not keep empty directories
    assert tree(src) == tree(clone)

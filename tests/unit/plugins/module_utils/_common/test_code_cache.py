"""The collection's module_utils in a module's zip are loaded from code compiled once per content: a real zip,
real imports, a real cache directory; a changed source, a damaged cache file or a directory others may write to
never give wrong code."""
import marshal
import os
import sys
import traceback
import types
import zipfile

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common import cache_dir, code_cache

PACKAGE = code_cache.PACKAGE + '._probe_zip'
MEMBER = PACKAGE.replace('.', '/')


def make_zip(path, value, fails=False):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER + '/__init__.py', '')
        body = 'VALUE = %r\n\n\ndef boom():\n    raise RuntimeError("from the zip")  # the line a traceback shows\n' % value
        archive.writestr(MEMBER + '/mod.py', body)
        if fails:
            archive.writestr(MEMBER + '/broken.py', 'def (\n')
    return path


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    installed = []

    def install(value, fails=False):
        archive = make_zip(str(tmp_path / ('payload-%d.zip' % len(installed))), value, fails)
        for name in (PACKAGE, PACKAGE + '.mod'):
            sys.modules.pop(name, None)
        for finder in installed:
            sys.meta_path.remove(finder)
        del installed[:]
        finder = code_cache.install_code_cache(types.SimpleNamespace(archive=archive))
        if finder is not None:
            installed.append(finder)
        return finder
    yield {'install': install, 'code': str(tmp_path / 'cache' / 'buildkit-fleet' / 'code')}
    for finder in installed:
        sys.meta_path.remove(finder)
    for name in (PACKAGE, PACKAGE + '.mod', PACKAGE + '.broken'):
        sys.modules.pop(name, None)


def load_value():
    from ansible_collections.buildkit.fleet.plugins.module_utils._probe_zip import mod  # pylint: disable=import-error
    return mod


def test_modules_of_the_zip_are_compiled_once_and_kept(env):
    assert env['install'](1) is not None
    mod = load_value()
    assert mod.VALUE == 1 and mod.__file__.endswith('/' + MEMBER + '/mod.py')
    assert len(os.listdir(env['code'])) == 2  # the package and the module
    assert os.stat(env['code']).st_mode & 0o777 == 0o700

    # the next run reads the kept code: replaced on disk, the kept one is what is loaded
    for name in os.listdir(env['code']):
        path = os.path.join(env['code'], name)
        with open(path, 'rb') as handle:
            code = marshal.loads(handle.read())
        if 'VALUE' in code.co_names:
            with open(path, 'wb') as handle:
                handle.write(marshal.dumps(compile('VALUE = "kept"\n', 'x', 'exec')))
    env['install'](1)
    assert load_value().VALUE == 'kept'


def test_a_changed_source_never_meets_old_code(env):
    env['install'](1)
    assert load_value().VALUE == 1
    env['install'](2)
    assert load_value().VALUE == 2
    assert len(os.listdir(env['code'])) == 3  # one package (unchanged) and two versions of the module


def test_a_damaged_cache_file_is_compiled_again(env):
    env['install'](3)
    load_value()
    for name in os.listdir(env['code']):
        with open(os.path.join(env['code'], name), 'wb') as handle:
            handle.write(b'\xe3garbage')
    env['install'](3)
    assert load_value().VALUE == 3


def test_a_traceback_shows_the_source_line(env):
    env['install'](4)
    text = ''
    try:
        load_value().boom()
    except RuntimeError:
        text = traceback.format_exc()
    assert MEMBER + '/mod.py' in text and 'the line a traceback shows' in text


def test_a_syntax_error_is_raised_as_python_raises_it(env):
    env['install'](5, fails=True)
    with pytest.raises(SyntaxError):
        __import__(PACKAGE + '.broken')


def test_nothing_is_installed_outside_a_zip_or_with_a_shared_directory(env, monkeypatch):
    before = list(sys.meta_path)
    assert code_cache.install_code_cache(types.SimpleNamespace()) is None  # a plain directory on sys.path
    assert code_cache.install_code_cache() is None  # this test imports code_cache from files
    os.makedirs(env['code'])
    os.chmod(env['code'], 0o777)
    assert env['install'](6) is None  # others may write there: never read
    os.chmod(env['code'], 0o700)
    monkeypatch.setattr(sys, 'gettrace', object)  # any tracer
    assert env['install'](6) is None  # a tracer (coverage, debugger) maps the zip's own file names
    assert sys.meta_path == before


def age(path, days):
    stamp = os.stat(path).st_mtime - days * cache_dir.DAY
    os.utime(path, (stamp, stamp))


def test_code_nobody_used_for_a_month_goes_when_new_code_is_compiled(env):
    env['install'](7)
    load_value()
    os.makedirs(env['code'], exist_ok=True)
    stale = os.path.join(env['code'], 'f' * 64)  # code of an older release
    with open(stale, 'wb') as handle:
        handle.write(marshal.dumps(compile('', 'x', 'exec')))
    leftover = os.path.join(env['code'], cache_dir.TEMPORARY_PREFIX + 'interrupted')
    with open(leftover, 'wb') as handle:
        handle.write(b'partial')
    for name in os.listdir(env['code']):
        age(os.path.join(env['code'], name), code_cache.KEEP_DAYS + 1)
    kept = set(os.listdir(env['code'])) - {os.path.basename(stale), os.path.basename(leftover)}

    # a run that only reads prunes nothing, and marks what it read as used
    env['install'](7)
    load_value()
    assert os.path.exists(stale) and os.path.exists(leftover)
    for name in kept:
        assert os.stat(os.path.join(env['code'], name)).st_mtime > code_cache.time.time() - 60

    # a run that compiles something new removes what nobody used, and keeps what was used
    env['install'](8)
    load_value()
    names = set(os.listdir(env['code']))
    assert not os.path.exists(stale) and not os.path.exists(leftover)
    assert kept <= names and len(names) == len(kept) + 1


def test_pruning_keeps_recent_temporary_files_and_other_entries(tmp_path):
    recent = tmp_path / (cache_dir.TEMPORARY_PREFIX + 'being-written')
    recent.write_bytes(b'')
    old_directory = tmp_path / 'not-a-file'
    old_directory.mkdir()
    age(str(old_directory), code_cache.KEEP_DAYS + 1)
    week_old = tmp_path / ('a' * 64)
    week_old.write_bytes(b'')
    age(str(week_old), 7)
    assert cache_dir.prune_unused(str(tmp_path), code_cache.time.time(), code_cache.KEEP_DAYS) == []
    assert cache_dir.prune_unused(str(tmp_path / 'missing'), code_cache.time.time(), code_cache.KEEP_DAYS) == []
    assert cache_dir.prune_unused(str(tmp_path), code_cache.time.time(), keep_days=6) == ['a' * 64]


def test_pruning_with_a_prefix_leaves_other_names(tmp_path):
    for name in ('digests-a.json', 'daemons.json', cache_dir.TEMPORARY_PREFIX + 'x'):
        (tmp_path / name).write_text('{}')
        age(str(tmp_path / name), cache_dir.KEEP_DAYS + 1)
    removed = cache_dir.prune_unused(str(tmp_path), code_cache.time.time(), prefix='digests-')
    assert sorted(removed) == sorted(['digests-a.json', cache_dir.TEMPORARY_PREFIX + 'x'])
    assert os.listdir(str(tmp_path)) == ['daemons.json']


def test_reading_json_marks_the_file_used(tmp_path):
    path = tmp_path / 'memo.json'
    path.write_text('{"a": 1}')
    age(str(path), 10)
    assert cache_dir.read_json(str(path)) == {'a': 1} and time_since_change(path) > 9 * cache_dir.DAY
    assert cache_dir.read_json(str(path), used_at=code_cache.time.time()) == {'a': 1}
    assert time_since_change(path) < 60


def time_since_change(path):
    return code_cache.time.time() - os.stat(str(path)).st_mtime

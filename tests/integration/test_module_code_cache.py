"""A module run through Ansible keeps the compiled code of the collection's module_utils on the host and loads it
on the next runs instead of compiling the zip's sources again; damaged files are compiled again, never used, and
a run that compiles removes code no run has read for a month."""
import marshal
import os


def stamps(directory):
    return dict((name, os.stat(os.path.join(directory, name)).st_mtime_ns) for name in os.listdir(directory))


def test_module_utils_are_compiled_once_and_loaded_from_the_kept_code(ansible, builder, buildx_config,
                                                                      tmp_path, monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    code = str(tmp_path / 'cache' / 'buildkit-fleet' / 'code')
    name = builder('cc')
    first = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config)
    assert not first['failed'] and first['exists'] is False, first
    kept = stamps(code)
    assert len(kept) >= 10 and oct(os.stat(code).st_mode & 0o777) == '0o700'
    for fname in kept:
        with open(os.path.join(code, fname), 'rb') as handle:
            marshal.loads(handle.read())  # each one a code object

    again = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config)
    assert again['exists'] is False and stamps(code) == kept  # loaded, not compiled and written again

    for fname in kept:  # damaged: compiled again and rewritten, the module unaffected
        with open(os.path.join(code, fname), 'wb') as handle:
            handle.write(b'not code')
    stale = os.path.join(code, '0' * 64)  # code of an older release, unread for 31 days
    with open(stale, 'wb') as handle:
        handle.write(marshal.dumps(compile('', 'old', 'exec')))
    month_ago = os.stat(stale).st_mtime - 31 * 24 * 3600
    os.utime(stale, (month_ago, month_ago))
    third = ansible('buildkit_builder_info', name=name, buildx_config=buildx_config)
    assert third['exists'] is False and not third['failed'], third
    assert not os.path.exists(stale) and set(os.listdir(code)) == set(kept)
    for fname in kept:
        with open(os.path.join(code, fname), 'rb') as handle:
            marshal.loads(handle.read())

import os
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._build import fingerprint as fpr
from ansible_collections.buildkit.fleet.plugins.module_utils._build.digest_cache import DigestCache


class CountingHasher(object):
    def __init__(self):
        self.calls = []

    def __call__(self, path):
        self.calls.append(path)
        return fpr.hash_file(path)


def old_file(path, text):
    path.write_text(text)
    past = time.time() - 60
    os.utime(str(path), (past, past))


def later():
    return time.time_ns() + 10 ** 10


def test_unchanged_files_are_not_read_again_and_changed_ones_are(tmp_path):
    ctx, cache_dir = tmp_path / 'ctx', str(tmp_path / 'cache')
    ctx.mkdir()
    (ctx / 'a').write_text('one')
    cache = DigestCache(str(ctx), CountingHasher(), directory=cache_dir, clock=later)
    digest = cache.digest(str(ctx / 'a'))
    cache.save()
    second = CountingHasher()
    again = DigestCache(str(ctx), second, directory=cache_dir, clock=later)
    assert again.digest(str(ctx / 'a')) == digest and second.calls == []
    (ctx / 'a').write_text('two')
    assert again.digest(str(ctx / 'a')) != digest and second.calls == [str(ctx / 'a')]


def test_changed_or_racy_files_are_hashed(tmp_path):
    ctx, cache_dir = tmp_path / 'ctx', tmp_path / 'cache'
    ctx.mkdir()
    (ctx / 'a').write_text('fresh')  # changed just now: racy, never cached
    hasher = CountingHasher()
    cache = DigestCache(str(ctx), hasher, directory=str(cache_dir))
    cache.digest(str(ctx / 'a'))
    assert cache.seen == {}
    cache.save()
    assert not os.path.exists(cache.path)


def test_cache_never_changes_the_fingerprint(tmp_path):
    ctx = tmp_path / 'ctx'
    ctx.mkdir()
    for index in range(5):
        old_file(ctx / ('f%d' % index), 'content %d' % index)
    plain = fpr.tree_digest(str(ctx), [])
    cache = DigestCache(str(ctx), fpr.hash_file, directory=str(tmp_path / 'cache'))
    assert fpr.tree_digest(str(ctx), [], hasher=cache.digest) == plain


def test_read_only_cache_writes_nothing(tmp_path):
    ctx = tmp_path / 'ctx'
    ctx.mkdir()
    cache = DigestCache(str(ctx), fpr.hash_file, directory=str(tmp_path / 'cache'), writable=False)
    cache.seen = {'x': [1, 2, 3, 4, 'd']}
    cache.save()
    assert not (tmp_path / 'cache').exists()


def test_tree_digest_reads_only_what_the_cache_does_not_know(tmp_path, monkeypatch):
    ctx = tmp_path / 'ctx'
    ctx.mkdir()
    for index in range(20):
        old_file(ctx / ('f%02d' % index), 'content %d' % index)
    plain = fpr.tree_digest(str(ctx), [])
    first = CountingHasher()
    cache = DigestCache(str(ctx), first, directory=str(tmp_path / 'cache'), clock=later)
    assert fpr.tree_digest(str(ctx), [], hasher=cache) == plain and len(first.calls) == 20  # a pool: 20 >= 8
    cache.save()
    old_file(ctx / 'f07', 'changed')
    second = CountingHasher()
    again = DigestCache(str(ctx), second, directory=str(tmp_path / 'cache'), clock=later)
    pools = []
    monkeypatch.setattr('concurrent.futures.ThreadPoolExecutor.__init__',
                        lambda *a, **k: pools.append(1) or (x for x in ()).throw(AssertionError('no pool for one file')))
    assert fpr.tree_digest(str(ctx), [], hasher=again) != plain
    assert second.calls == [str(ctx / 'f07')] and pools == []


def test_writing_a_cache_removes_other_contexts_unused_for_a_month_and_nothing_else(tmp_path):
    cache_dir = tmp_path / 'cache'
    cache_dir.mkdir()
    month_ago = time.time() - 40 * 24 * 3600
    for name in ('digests-gone.json', 'digests-read.json', 'daemons.json'):
        (cache_dir / name).write_text('{}')
        os.utime(str(cache_dir / name), (month_ago, month_ago))
    ctx, read = tmp_path / 'ctx', tmp_path / 'read'
    for directory in (ctx, read):
        directory.mkdir()
        old_file(directory / 'a', 'one')
    reader = DigestCache(str(read), fpr.hash_file, directory=str(cache_dir), clock=later)
    os.rename(str(cache_dir / 'digests-read.json'), reader.path)
    os.utime(reader.path, (month_ago, month_ago))
    DigestCache(str(read), fpr.hash_file, directory=str(cache_dir), clock=later)  # read: marked used
    cache = DigestCache(str(ctx), fpr.hash_file, directory=str(cache_dir), clock=later)
    cache.digest(str(ctx / 'a'))
    cache.save()
    assert sorted(os.listdir(str(cache_dir))) == sorted(
        ['daemons.json', os.path.basename(reader.path), os.path.basename(cache.path)])

"""The files the modules keep on a host do not pile up: creating a builder and building on it, through Ansible,
removes the digests of a context and the workers memo of a container no run has read for a month, and keeps
those in use and everything else."""
import os
import time

from build_support import BASE_IMAGE, context_dir, make_builder

DOCKERFILE = 'FROM %s\nCOPY app.txt /app.txt\n' % BASE_IMAGE


def month_old(path):
    with open(path, 'w') as handle:
        handle.write('{}')
    past = os.stat(path).st_mtime - 31 * 24 * 3600
    os.utime(path, (past, past))


def test_month_old_digests_and_workers_memos_go_when_new_ones_are_written(
        ansible, builder, buildx_config, tmp_path, monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    kept = str(tmp_path / 'cache' / 'buildkit-fleet')
    os.makedirs(os.path.join(kept, 'workers'))
    old_digests = os.path.join(kept, 'digests-%s.json' % ('0' * 24))  # a CI job's checkout, long gone
    old_memo = os.path.join(kept, 'workers', 'f' * 32 + '.json')  # a container removed long ago
    unrelated = os.path.join(kept, 'notes.json')
    for path in (old_digests, old_memo, unrelated):
        month_old(path)
    ctx = context_dir(tmp_path, DOCKERFILE, {'app.txt': 'one\n'})
    ready = time.monotonic() + 2.5  # digests of files changed in the last two seconds are not kept
    name = make_builder(ansible, builder, buildx_config, 'acc')
    assert not os.path.exists(old_memo)
    assert len(os.listdir(os.path.join(kept, 'workers'))) >= 1  # the new builder's memos
    remaining = ready - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
    built = ansible('buildkit_build', builder=name, buildx_config=buildx_config, context=str(ctx),
                    outputs=[{'type': 'tar', 'dest': str(tmp_path / 'out.tar')}])
    assert built['built'] and not built['failed'], built
    digests = [entry for entry in os.listdir(kept) if entry.startswith('digests-')]
    assert not os.path.exists(old_digests) and len(digests) == 1, digests
    assert os.path.exists(unrelated)

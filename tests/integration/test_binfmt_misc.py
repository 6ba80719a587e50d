"""buildkit.fleet.binfmt_misc on the real kernel. Changes binfmt_misc: run under
`flock -w 1800 /tmp/buildkit-fleet-binfmt.lock`; every handler is restored exactly afterwards."""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from binfmt_support import BINFMT, BUSYBOX_DIR, restore, snapshot


@pytest.fixture
def binfmt():
    before = snapshot()
    yield before
    restore(before)


def entry(name):
    path = os.path.join(BINFMT, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return handle.read()


def run_busybox_in_empty_chroot(tmp_path, arch, *args):
    root = Path(tempfile.mkdtemp(prefix='root-' + arch, dir=str(tmp_path)))
    shutil.copy(os.path.join(BUSYBOX_DIR, 'bb-' + arch), str(root / 'busybox'))
    return subprocess.run(['chroot', str(root), '/busybox'] + list(args), capture_output=True, text=True,
                          timeout=60, check=False)


def test_register_check_diff_idempotent_and_absent(ansible, tmp_path, binfmt):
    assert 'qemu-mips64el' not in binfmt, 'the harness does not register mips64el; this test does'
    args = dict(platforms=['linux/mips64le', 'linux/386'], binfmt_dir=str(tmp_path / 'etc' / 'binfmt.d'),
                record_file=str(tmp_path / 'record.json'))
    check = ansible('binfmt_misc', check=True, diff=True, **args)
    assert not check['failed'], check
    assert check['changed'] and [h['action'] for h in check['handlers']] == ['register']
    assert check['native_platforms'] == ['linux/386'] and check['verified_platforms'] == []
    assert snapshot() == binfmt and not (tmp_path / 'etc').exists() and not (tmp_path / 'record.json').exists()

    real = ansible('binfmt_misc', diff=True, **args)
    assert not real['failed'], real
    assert real['changed'] and [h['action'] for h in real['handlers']] == ['register']
    assert real['verified_platforms'] == ['linux/mips64le']
    assert 'flags: PF' in real['diff']['after'] and 'qemu-mips64el' in real['diff']['after']
    text = entry('qemu-mips64el')
    assert text.startswith('enabled\n') and 'interpreter /usr/libexec/qemu-binfmt/mips64el-binfmt-P' in text
    assert 'flags: PF' in text and 'magic 7f454c4602010100000000000000000002000800' in text
    conf = (tmp_path / 'etc' / 'binfmt.d' / 'qemu-mips64el.conf').read_text()
    assert ':qemu-mips64el:M:0:\\x7f\\x45\\x4c\\x46\\x02\\x01' in conf and conf.endswith(':PF\n')
    with open(args['record_file']) as handle:
        assert json.load(handle) == {'handlers': {'qemu-mips64el': None}}

    again = ansible('binfmt_misc', check=True, **args)
    assert not again['changed'] and again['handlers'][0]['action'] == 'none'
    again = ansible('binfmt_misc', **args)
    assert not again['changed'] and again['verified_platforms'] == ['linux/mips64le']

    gone = ansible('binfmt_misc', state='absent', check=True, **args)
    assert gone['changed'] and gone['handlers'][0]['action'] == 'unregister'
    assert entry('qemu-mips64el') == text
    gone = ansible('binfmt_misc', state='absent', **args)
    assert gone['changed']
    assert snapshot() == binfmt
    assert not os.path.exists(args['record_file']) and os.listdir(args['binfmt_dir']) == []
    assert not ansible('binfmt_misc', state='absent', **args)['changed']


def test_replace_a_foreign_handler_and_restore_it_exactly(ansible, tmp_path, binfmt):
    before = binfmt['qemu-aarch64']
    assert 'flags: PF' in before, 'the harness registers qemu-aarch64 with PF'
    args = dict(platforms=['linux/arm64'], credentials=True, binfmt_dir=str(tmp_path / 'binfmt.d'),
                record_file=str(tmp_path / 'record.json'))
    check = ansible('binfmt_misc', check=True, diff=True, **args)
    assert check['changed'] and check['handlers'][0]['action'] == 'replace'
    assert 'flags: PF' in check['diff']['before'] and 'flags: POCF' in check['diff']['after']
    assert entry('qemu-aarch64') == before

    real = ansible('binfmt_misc', **args)
    assert real['changed'] and real['verified_platforms'] == ['linux/arm64']
    assert 'flags: POCF' in entry('qemu-aarch64')
    assert not ansible('binfmt_misc', **args)['changed']
    # a real foreign program, Debian's arm64 busybox, runs in an empty chroot (F + static interpreter)
    proc = run_busybox_in_empty_chroot(tmp_path, 'arm64', 'uname', '-m')
    assert proc.stdout.strip() == 'aarch64', proc.stderr

    restored = ansible('binfmt_misc', state='absent', diff=True, **args)
    assert restored['changed'] and restored['handlers'][0]['action'] == 'restore'
    assert entry('qemu-aarch64') == before
    assert snapshot() == binfmt
    assert not os.path.exists(args['record_file'])
    proc = run_busybox_in_empty_chroot(tmp_path, 'arm64', 'uname', '-m')
    assert proc.stdout.strip() == 'aarch64', proc.stderr


@pytest.mark.parametrize('args, message', [
    (dict(platforms=['linux/sparc']), 'platforms: unknown linux/sparc'),
    (dict(platforms=['linux/arm64'], flags='P'), "flags: 'P' lacks F"),
    (dict(platforms=['linux/arm64'], flags='PFZ'), "flags: 'PFZ'"),
    (dict(platforms=['linux/mips64le'], interpreter='/nonexistent/qemu-{arch}'),
     'interpreter: /nonexistent/qemu-mips64el does not exist'),
    (dict(platforms=['linux/arm64'], interpreter='qemu-{arch}'), "interpreter: 'qemu-{arch}' is not an absolute path"),
])
def test_bad_input_fails_clearly_and_changes_nothing(local_module, tmp_path, binfmt, args, message):
    result = local_module('binfmt_misc', binfmt_dir=str(tmp_path / 'binfmt.d'), record_file=str(tmp_path / 'record.json'),
                          **args)
    assert result.is_failed and not result.is_changed and message in result['msg'], result
    assert snapshot() == binfmt
    assert not (tmp_path / 'binfmt.d').exists() and not (tmp_path / 'record.json').exists()


def test_missing_interpreter_in_check_mode_is_a_warning(ansible, tmp_path, binfmt):
    result = ansible('binfmt_misc', check=True, platforms=['linux/mips64le'], interpreter='/nonexistent/qemu-{arch}',
                     binfmt_dir=str(tmp_path / 'binfmt.d'), record_file=str(tmp_path / 'record.json'))
    assert not result['failed'] and result['changed'], result
    assert result['missing_interpreters'] == ['/nonexistent/qemu-mips64el']
    assert '/nonexistent/qemu-mips64el does not exist' in result['_stdout'] + result.get('_stderr', '')
    assert snapshot() == binfmt

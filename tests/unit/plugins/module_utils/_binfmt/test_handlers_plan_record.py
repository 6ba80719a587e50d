import json

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt import persist, plan, record
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import EntryError, parse_entry
from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.handlers import (
    DEBIAN_INTERPRETER, PlatformError, desired_handlers, effective_flags)


def test_desired_handlers_skip_the_host_family_and_use_debian_masks():
    handlers, native = desired_handlers(['linux/arm64', 'linux/386', 'linux/ppc64le'], 'x86_64', DEBIAN_INTERPRETER)
    assert native == ['linux/386']
    by_name = dict((h['name'], h) for h in handlers)
    assert sorted(by_name) == ['qemu-aarch64', 'qemu-ppc64le']
    assert by_name['qemu-ppc64le']['mask'] == 'fffffffffffffffcfffffffffffffffffeffff00'
    assert by_name['qemu-aarch64']['interpreter'] == '/usr/libexec/qemu-binfmt/aarch64-binfmt-P'
    assert by_name['qemu-aarch64']['flags'] == 'PF'


def test_upstream_masks_and_fedora_flags():
    handlers, _native = desired_handlers(['linux/ppc64le'], 'x86_64', '/usr/bin/qemu-{arch}-static')
    assert handlers[0]['mask'] == 'ffffffffffffff00fffffffffffffffffeffff00'
    assert handlers[0]['flags'] == 'F'


def test_all_on_arm64_host_skips_arm_family():
    handlers, native = desired_handlers(['all'], 'aarch64', DEBIAN_INTERPRETER)
    assert 'qemu-aarch64' not in [h['name'] for h in handlers]
    assert 'qemu-arm' not in [h['name'] for h in handlers]
    assert sorted(native) == ['linux/arm/v7', 'linux/arm64']


@pytest.mark.parametrize('platforms, flags, message', [
    (['linux/sparc'], 'auto', 'platforms: unknown linux/sparc'),
    (['linux/arm64'], 'P', "flags: 'P' lacks F"),
    (['linux/arm64'], 'PFX', "flags: 'PFX'"),
])
def test_bad_options_name_the_option_and_value(platforms, flags, message):
    with pytest.raises(PlatformError, match=message):
        desired_handlers(platforms, 'x86_64', DEBIAN_INTERPRETER, flags)


def test_effective_flags():
    assert effective_flags('auto', True, '/usr/libexec/qemu-binfmt/arm-binfmt-P') == 'POCF'
    assert effective_flags('fp', False, '/x') == 'PF'


def harness_entry():
    return parse_entry('qemu-aarch64', 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n'
                       'offset 0\nmagic 7f454c460201010000000000000000000200b700\n'
                       'mask ffffffffffffff00fffffffffffffffffeffffff\n')


def test_plan_present_adopts_equal_handler_and_records_replaced_one():
    desired, _n = desired_handlers(['linux/arm64', 'linux/riscv64'], 'x86_64', DEBIAN_INTERPRETER)
    current = {'qemu-aarch64': harness_entry(), 'qemu-riscv64': None}
    steps, rec = plan.plan_present(desired, current, {}, {})
    assert [s['action'] for s in steps] == ['none', 'register']
    assert [s['file_action'] for s in steps] == ['write', 'write']
    assert rec == {'qemu-riscv64': None}
    # with C the harness's handler is replaced, and the record keeps it exactly
    desired, _n = desired_handlers(['linux/arm64'], 'x86_64', DEBIAN_INTERPRETER, credentials=True)
    steps, rec = plan.plan_present(desired, current, {}, {})
    assert steps[0]['action'] == 'replace'
    assert rec['qemu-aarch64']['flags'] == 'PF' and rec['qemu-aarch64']['magic'] == harness_entry()['magic']
    # a second replacement keeps the first record (what was there before this module)
    steps, rec2 = plan.plan_present(desired, {'qemu-aarch64': dict(harness_entry(), flags='F')}, {}, rec)
    assert rec2 == rec


def test_plan_present_converged_is_all_none():
    desired, _n = desired_handlers(['linux/arm64'], 'x86_64', DEBIAN_INTERPRETER)
    files = {'qemu-aarch64': persist.content(desired[0])}
    steps, rec = plan.plan_present(desired, {'qemu-aarch64': harness_entry()}, files, {})
    assert not plan.changed(steps, {}, rec)


def test_plan_absent_restores_unregisters_and_leaves_others():
    mine = dict(harness_entry(), flags='POCF')
    rec = {'qemu-aarch64': record.snapshot(harness_entry()), 'qemu-riscv64': None}
    current = {'qemu-aarch64': mine, 'qemu-riscv64': dict(harness_entry(), name='qemu-riscv64'), 'qemu-s390x': None}
    files = {'qemu-aarch64': persist.MARKER + ' (x)\n:line\n', 'qemu-s390x': 'not ours\n'}
    steps, new_rec = plan.plan_absent(['qemu-aarch64', 'qemu-riscv64', 'qemu-s390x'], current, files, rec)
    assert [s['action'] for s in steps] == ['restore', 'unregister', 'none']
    assert [s['file_action'] for s in steps] == ['remove', 'none', 'none']
    assert new_rec == {}
    assert steps[0]['after']['flags'] == 'PF'


def test_record_round_trip_and_legacy_formats(tmp_path):
    path = str(tmp_path / 'sub' / 'record.json')
    record.save(path, {'qemu-aarch64': record.snapshot(harness_entry()), 'qemu-arm': None})
    loaded, warnings = record.load(path)
    assert loaded['qemu-aarch64']['mask'] == harness_entry()['mask'] and loaded['qemu-arm'] is None and not warnings
    legacy = {'handlers': {
        'qemu-s390x': {'line': ':qemu-s390x:M:0:\\x7f\\x45:\\xff\\xff:/usr/bin/q:PF', 'enabled': False},
        'qemu-riscv64': {'line': ':qemu-riscv64:M:0:\\x\\1\\x\\1:\\x\\1:/usr/bin/q:PF', 'enabled': True}}}
    with open(path, 'w') as handle:
        json.dump(legacy, handle)
    loaded, warnings = record.load(path)
    assert loaded['qemu-s390x']['magic'] == '7f45' and loaded['qemu-s390x']['enabled'] is False
    assert 'unreadable' in loaded['qemu-riscv64'] and 'qemu-riscv64' in warnings[0]
    record.save(path, {})
    assert record.load(path) == ({}, [])
    with open(path, 'w') as handle:
        handle.write('{')
    with pytest.raises(EntryError, match='record_file'):
        record.load(path)

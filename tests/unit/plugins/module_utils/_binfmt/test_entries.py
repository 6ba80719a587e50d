import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._binfmt.entries import (
    EntryError, canonical_flags, entry_text, parse_entry, parse_register_line, register_line, same_handler)

PROC_AARCH64 = """enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: PF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
"""
LINE_AARCH64 = (r':qemu-aarch64:M:0:\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:'
                r'\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'
                r'/usr/libexec/qemu-binfmt/aarch64-binfmt-P:PF')


def test_parse_proc_entry():
    entry = parse_entry('qemu-aarch64', PROC_AARCH64)
    assert entry['enabled'] is True
    assert entry['interpreter'] == '/usr/libexec/qemu-binfmt/aarch64-binfmt-P'
    assert entry['flags'] == 'PF' and entry['offset'] == 0 and entry['type'] == 'M'
    assert entry['magic'] == '7f454c460201010000000000000000000200b700'
    assert entry['mask'] == 'ffffffffffffff00fffffffffffffffffeffffff'


def test_parse_disabled_extension_entry():
    entry = parse_entry('python3.11', 'disabled\ninterpreter /usr/bin/python3.11\nflags: \nextension .pyc\n')
    assert entry['enabled'] is False and entry['type'] == 'E' and entry['extension'] == 'pyc'
    assert register_line(entry) == ':python3.11:E::pyc::/usr/bin/python3.11:'


def test_register_line_round_trip_keeps_every_hex_byte():
    entry = parse_entry('qemu-aarch64', PROC_AARCH64)
    line = register_line(entry)
    assert line == LINE_AARCH64
    again = parse_register_line(line)
    assert same_handler(entry, again)
    assert '\\x\\1' not in line  # bug 1: the old role lost the hex digits


def test_parse_register_line_with_plain_characters_and_empty_offset():
    entry = parse_register_line(':qemu-x:M::\\x7fELF\\x02:\\xff\\xff\\xff\\xff\\xff:/usr/bin/qemu-x:OCF')
    assert entry['magic'] == '7f454c4602' and entry['offset'] == 0 and entry['flags'] == 'OCF'


@pytest.mark.parametrize('line, message', [
    (':qemu-riscv64:M:0:\\x\\1\\x\\1:\\x\\1:/usr/bin/q:PF', 'bad escape'),  # the corrupted record of bug 1
    (':qemu-a:M:0:\\x7f', '7 fields'),
    (':qemu-a:Z:0:\\x7f::/i:F', 'type must be M or E'),
    (':qemu/a:M:0:\\x7f::/i:F', 'bad handler name'),
    (':qemu-a:M:x:\\x7f::/i:F', 'offset must be a number'),
    (':qemu-a:M:0:\\x7f\\x45:\\xff:/i:F', 'differ in length'),
    (':qemu-a:M:0:\\x7f::/i:FZ', 'unknown flag letters Z'),
    ('', 'empty'),
])
def test_bad_register_lines(line, message):
    with pytest.raises(EntryError, match=message):
        parse_register_line(line)


def test_canonical_flags_orders_and_adds_o_for_c():
    assert canonical_flags('fp') == 'PF'
    assert canonical_flags('FCP') == 'POCF'
    assert canonical_flags('') == ''


def test_same_handler_needs_enabled_and_equal_fields():
    entry = parse_entry('qemu-aarch64', PROC_AARCH64)
    other = dict(entry, flags='FP')
    assert same_handler(entry, other)
    assert not same_handler(dict(entry, enabled=False), other)
    assert not same_handler(entry, dict(entry, flags='POCF'))
    assert not same_handler(entry, dict(entry, mask='ff' * 20))
    assert not same_handler(None, entry)


def test_entry_text_matches_the_kernel_format():
    entry = parse_entry('qemu-aarch64', PROC_AARCH64)
    assert entry_text(entry) == PROC_AARCH64
    assert entry_text(None) == ''

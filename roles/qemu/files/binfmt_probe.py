# -*- coding: utf-8 -*-
# Copyright: buildkit.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads binfmt_misc handlers and proves they work, the way BuildKit does.

Usage: python3 binfmt_probe.py read|verify BASE64_JSON
  read    {"names": [...]}                   -> {"mounted": bool, "entries": {name: {...}}}
  verify  {"handlers": {name: {"flags": "PF"}} or [{"name": name, "flags": "PF"}], "probe": true}
          -> per handler: entry fields, interpreter_static, probe_rc, ok, errors

The probe programs are generated here, from this file's own tables: a tiny static ELF per
architecture that only calls exit(42). Each is run inside an otherwise empty chroot, exactly like
BuildKit's platform detection (util/archutil), so it passes only with the F flag and a static
interpreter. Nothing is downloaded, nothing is copied from another project.
"""
from __future__ import absolute_import, division, print_function

import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

BINFMT = "/proc/sys/fs/binfmt_misc"
EXIT_CODE = 42

# handler -> (ELF class 1/2, data 1=LE/2=BE, e_machine, e_flags, code words, word size)
# Each program: put 42 in the first syscall argument, the exit syscall number, trap.
PROGRAMS = {
    # movz x0,#42 ; movz x8,#93 ; svc #0
    "aarch64": (2, 1, 183, 0, [0xd2800540, 0xd2800ba8, 0xd4000001], 4),
    # mov r0,#42 ; mov r7,#1 ; svc 0   (EABI5)
    "arm": (1, 1, 40, 0x05000000, [0xe3a0002a, 0xe3a07001, 0xef000000], 4),
    # addi a0,zero,42 ; addi a7,zero,93 ; ecall
    "riscv64": (2, 1, 243, 0, [0x02a00513, 0x05d00893, 0x00000073], 4),
    # li r3,42 ; li r0,1 ; sc   (ELFv2)
    "ppc64le": (2, 1, 21, 2, [0x3860002a, 0x38000001, 0x44000002], 4),
    # lghi %r2,42 ; svc 1
    "s390x": (2, 2, 22, 0, [0xa729002a, 0x0a01], None),
    # daddiu a0,zero,42 ; daddiu v0,zero,5058 (n64 exit) ; syscall
    "mips64el": (2, 1, 8, 0, [0x6404002a, 0x640213c2, 0x0000000c], 4),
    "mips64": (2, 2, 8, 0, [0x6404002a, 0x640213c2, 0x0000000c], 4),
    # addi.w a0,zero,42 ; addi.w a7,zero,93 ; syscall 0
    "loongarch64": (2, 1, 258, 0x43, [0x0280a804, 0x0281740b, 0x002b0000], 4),
    # mov ebx,42 ; mov eax,1 ; int 0x80
    "i386": (1, 1, 3, 0, b"\xbb\x2a\x00\x00\x00\xb8\x01\x00\x00\x00\xcd\x80", None),
    # mov edi,42 ; mov eax,60 ; syscall
    "x86_64": (2, 1, 62, 0, b"\xbf\x2a\x00\x00\x00\xb8\x3c\x00\x00\x00\x0f\x05", None),
}


def _code(data, words, size):
    if isinstance(words, bytes):
        return words
    endian = "<" if data == 1 else ">"
    if size == 4:
        return b"".join(struct.pack(endian + "I", w) for w in words)
    # s390x: one 4-byte and one 2-byte instruction
    return struct.pack(">I", words[0]) + struct.pack(">H", words[1])


def make_elf(handler):
    """A static ET_EXEC ELF with one PT_LOAD segment that exits with EXIT_CODE."""
    cls, data, machine, flags, words, size = PROGRAMS[handler]
    code = _code(data, words, size)
    e = "<" if data == 1 else ">"
    base = 0x400000
    ident = b"\x7fELF" + bytes(bytearray([cls, data, 1, 0])) + b"\x00" * 8
    if cls == 2:
        ehsize, phsize = 64, 56
        entry = base + ehsize + phsize
        header = ident + struct.pack(e + "HHIQQQIHHHHHH", 2, machine, 1, entry, ehsize, 0, flags,
                                     ehsize, phsize, 1, 0, 0, 0)
        total = ehsize + phsize + len(code)
        phdr = struct.pack(e + "IIQQQQQQ", 1, 5, 0, base, base, total, total, 0x10000)
    else:
        ehsize, phsize = 52, 32
        entry = base + ehsize + phsize
        header = ident + struct.pack(e + "HHIIIIIHHHHHH", 2, machine, 1, entry, ehsize, 0, flags,
                                     ehsize, phsize, 1, 0, 0, 0)
        total = ehsize + phsize + len(code)
        phdr = struct.pack(e + "IIIIIIII", 1, 0, base, base, total, total, 5, 0x10000)
    return header + phdr + code


def read_entry(name):
    path = os.path.join(BINFMT, name)
    if not os.path.exists(path):
        return None
    entry = {"enabled": False, "interpreter": "", "flags": "", "offset": "0", "magic": "", "mask": ""}
    with open(path) as handle:
        for line in handle.read().splitlines():
            if line in ("enabled", "disabled"):
                entry["enabled"] = line == "enabled"
                continue
            key, _sep, value = line.partition(" ")
            key = key.rstrip(":")
            if key in entry:
                entry[key] = value.strip()
    return entry


def is_static(path):
    """True when the ELF file has no PT_INTERP program header (statically linked)."""
    with open(path, "rb") as handle:
        head = handle.read(64)
        if head[:4] != b"\x7fELF":
            return False
        cls, data = bytearray(head[4:6])
        e = "<" if data == 1 else ">"
        if cls == 2:
            phoff, = struct.unpack(e + "Q", head[32:40])
            phentsize, phnum = struct.unpack(e + "HH", head[54:58])
        else:
            phoff, = struct.unpack(e + "I", head[28:32])
            phentsize, phnum = struct.unpack(e + "HH", head[42:46])
        for i in range(phnum):
            handle.seek(phoff + i * phentsize)
            ptype, = struct.unpack(e + "I", handle.read(4))
            if ptype == 3:  # PT_INTERP
                return False
    return True


def probe(handler):
    """Runs the generated program in an empty chroot; returns its exit code (42 = emulated)."""
    root = tempfile.mkdtemp(prefix="binfmt-probe-")
    try:
        path = os.path.join(root, "probe")
        with open(path, "wb") as handle:
            handle.write(make_elf(handler))
        os.chmod(path, 0o755)

        def enter():
            os.chroot(root)
            os.chdir("/")
        try:
            proc = subprocess.Popen(["/probe"], preexec_fn=enter, close_fds=True)  # pylint: disable=subprocess-popen-preexec-fn
            return proc.wait(timeout=30), ""
        except OSError as exc:
            return -1, str(exc)
        except subprocess.TimeoutExpired:
            proc.kill()
            return -1, "timeout"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def verify(handlers, run_probe):
    out = {}
    if isinstance(handlers, list):  # [{"name": ..., "flags": ...}, ...]
        handlers = dict((h["name"], h) for h in handlers)
    for name, want in handlers.items():
        arch = name[len("qemu-"):] if name.startswith("qemu-") else name
        entry = read_entry(name)
        res = {"entry": entry, "errors": [], "interpreter_static": None, "probe_rc": None}
        if entry is None:
            res["errors"].append("%s is not registered" % name)
        else:
            if not entry["enabled"]:
                res["errors"].append("%s is disabled" % name)
            if "F" not in entry["flags"]:
                res["errors"].append("%s lacks the F flag (flags: %s)" % (name, entry["flags"]))
            for flag in want.get("flags", ""):
                if flag not in entry["flags"]:
                    res["errors"].append("%s lacks the %s flag (flags: %s)" % (name, flag, entry["flags"]))
            interp = entry["interpreter"]
            real = os.path.realpath(interp)
            if not os.path.isfile(real):
                res["errors"].append("interpreter %s of %s does not exist" % (interp, name))
            else:
                res["interpreter_static"] = is_static(real)
                if not res["interpreter_static"]:
                    res["errors"].append("interpreter %s of %s is dynamically linked" % (real, name))
        if run_probe and arch in PROGRAMS and not res["errors"]:
            res["probe_rc"], err = probe(arch)
            if res["probe_rc"] != EXIT_CODE:
                res["errors"].append("a %s program did not run under emulation (rc %s) %s" % (arch, res["probe_rc"], err))
        res["ok"] = not res["errors"]
        out[name] = res
    return out


def main():
    mode, arg = sys.argv[1], json.loads(base64.b64decode(sys.argv[2]).decode("utf-8"))
    if mode == "read":
        names = arg.get("names") or []
        mounted = os.path.exists(os.path.join(BINFMT, "register"))
        entries = dict((n, read_entry(n)) for n in names) if mounted else {}
        result = {"mounted": mounted, "entries": dict((k, v) for k, v in entries.items() if v is not None)}
    elif mode == "verify":
        result = {"handlers": verify(arg.get("handlers") or {}, arg.get("probe", True))}
        result["failed"] = [n for n, r in result["handlers"].items() if not r["ok"]]
    elif mode == "elf":  # write one probe program (for tests): elf HANDLER-ARCH -> path in "path"
        with open(arg["path"], "wb") as handle:
            handle.write(make_elf(arg["arch"]))
        os.chmod(arg["path"], 0o755)
        result = {"path": arg["path"]}
    else:
        sys.exit("unknown mode %s" % mode)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

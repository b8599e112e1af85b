#!/usr/bin/python3
"""Writes hivex-made.reg: the keys and values merged into hivex-made.hive (see make.sh)."""

def hexs(b):
    return ",".join("%02x" % x for x in b)

def sz(s):
    return (s + "\0").encode("utf-16le")

lines = ["Windows Registry Editor Version 5.00", ""]
lines += [
    "[\\Types]",
    "@=hex(1):" + hexs(sz("default value")),
    '"None"=hex(0):',
    '"Sz"=hex(1):' + hexs(sz("hello, world")),
    '"SzNoNul"=hex(1):' + hexs("abc".encode("utf-16le")),
    '"SzJunk"=hex(1):' + hexs(sz("short") + b"\x41\x00\x42\x00junk"),
    '"SzOdd"=hex(1):' + hexs("xy".encode("utf-16le") + b"\x7a"),
    '"Expand"=hex(2):' + hexs(sz("%SystemRoot%\\system32")),
    '"Binary"=hex(3):01,02,03,04,05',
    '"Tiny"=hex(3):aa,bb',
    '"Dword"=dword:12345678',
    '"DwordBE"=hex(5):12,34,56,78',
    '"Link"=hex(6):' + hexs("\\Registry\\Machine".encode("utf-16le")),
    '"Multi"=hex(7):' + hexs(sz("one") + sz("two") + sz("three") + b"\0\0"),
    '"Qword"=hex(b):' + hexs((0x0123456789ABCDEF).to_bytes(8, "little")),
    '"Big"=hex(3):' + hexs(bytes((i * 7) & 0xFF for i in range(40000))),
    '"Mixed Case Name"=dword:00000007',
    '"Ünïcödé"=hex(1):' + hexs(sz("latin-1 name")),
    '"日本語"=hex(1):' + hexs(sz("値")),
    "",
    "[\\Many]",
    "",
]
for i in range(600):
    lines += ["[\\Many\\key%04d]" % i, '"Index"=dword:%08x' % i, ""]
lines += ["[\\Names]", "", "[\\Names\\Ünïcödé]", "", "[\\Names\\日本語]", '"x"=dword:00000001', "",
          "[\\Names\\ASCII]", ""]
path = "\\Deep"
lines += ["[%s]" % path, ""]
for c in "abcdef":
    path += "\\" + c
    lines += ["[%s]" % path, ""]
lines[-1:] = ['"leaf"=hex(1):' + hexs(sz("bottom")), ""]
open("hivex-made.reg", "w", encoding="utf-8").write("\r\n".join(lines) + "\r\n")

"""Writes the export-format inputs of make-test-data.sh."""
import struct, sys
def entry(out, rt, mono, boot, fields):
    out.write(b"__REALTIME_TIMESTAMP=%d\n" % rt)
    out.write(b"__MONOTONIC_TIMESTAMP=%d\n" % mono)
    out.write(b"_BOOT_ID=%s\n" % boot)
    for k, v in fields:
        if b"\n" in v or b"\0" in v:
            out.write(k + b"\n" + struct.pack('<Q', len(v)) + v + b"\n")
        else:
            out.write(k + b"=" + v + b"\n")
    out.write(b"\n")

B1 = b"0123456789abcdef0123456789abcdef"
B2 = b"fedcba9876543210fedcba9876543210"
base = 1700000000000000

# main: 300 entries, assorted fields, some large (compressed) and binary
with open("main.export", "wb") as o:
    for i in range(300):
        f = [(b"MESSAGE", b"message number %d" % i),
             (b"PRIORITY", b"%d" % (i % 10)),
             (b"_PID", b"%d" % (100 + i % 7))]
        if i % 3 == 0: f.append((b"SYSLOG_IDENTIFIER", b"ident%d" % (i % 5)))
        if i % 3 == 1: f.append((b"_COMM", b"comm%d" % (i % 4)))
        if i % 11 == 0: f.append((b"BIG", (b"line %d of a long field. " % i) * 200))
        if i % 13 == 0: f.append((b"MESSAGE_BIN", b"multi\nline\0binary"))
        if i % 17 == 0: f.append((b"HUGE", bytes((j * 7 + i) % 256 for j in range(100000))))
        entry(o, base + i * 1000003, 5000 + i * 1000, B1, f)

# interleaving set
with open("a.export", "wb") as o:   # boot 1, realtime 1,3,5
    for k in (1, 3, 5):
        entry(o, base + k * 1000000, k * 1000, B1, [(b"MESSAGE", b"a%d" % k), (b"SYSLOG_IDENTIFIER", b"a")])
with open("b.export", "wb") as o:   # boot 2, realtime 2,4,6
    for k in (2, 4, 6):
        entry(o, base + k * 1000000, k * 1000, B2, [(b"MESSAGE", b"b%d" % k), (b"SYSLOG_IDENTIFIER", b"b")])
with open("c.export", "wb") as o:   # boot 1, between a's entries in both clocks
    for k in (2, 4):
        entry(o, base + k * 1000000 + 500000, k * 1000, B1, [(b"MESSAGE", b"c%d" % k), (b"SYSLOG_IDENTIFIER", b"c"), (b"_PID", b"7"), (b"PRIORITY", b"%d" % k)])

#!/usr/bin/env python3
"""Writes small systemd journal files with DATA payloads compressed by the real libraries
(liblzma's one-shot encoder, liblz4, libzstd, called as journald calls them), for the reader's
tests. journalctl reads them back as the oracle (see make-test-data.sh).

usage: writer.py OUT.journal {none,xz,lz4,zstd} {regular,compact} SEED
"""
import ctypes, hashlib, os, struct, sys

out_path, comp, mode, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
compact = mode == "compact"

lzma = ctypes.CDLL("liblzma.so.5")
lz4 = ctypes.CDLL("liblz4.so.1")
zstd = ctypes.CDLL("libzstd.so.1")


def compress(kind, data):
    if kind == "xz":
        # journald: lzma_easy_buffer_encode(LZMA_PRESET_DEFAULT, LZMA_CHECK_NONE, ...)
        out = ctypes.create_string_buffer(len(data) * 2 + 1024)
        pos = ctypes.c_size_t(0)
        r = lzma.lzma_easy_buffer_encode(ctypes.c_uint32(6), 0, None, data,
                                         ctypes.c_size_t(len(data)), out, ctypes.byref(pos),
                                         ctypes.c_size_t(len(out)))
        assert r == 0, r
        return out.raw[:pos.value]
    if kind == "lz4":
        # journald: le64 size, then LZ4_compress_default's block
        out = ctypes.create_string_buffer(len(data) * 2 + 1024)
        n = lz4.LZ4_compress_default(data, out, len(data), len(out))
        assert n > 0
        return struct.pack("<Q", len(data)) + out.raw[:n]
    if kind == "zstd":
        out = ctypes.create_string_buffer(len(data) * 2 + 1024)
        zstd.ZSTD_compress.restype = ctypes.c_size_t
        n = zstd.ZSTD_compress(out, ctypes.c_size_t(len(out)), data, ctypes.c_size_t(len(data)),
                               ctypes.c_int(3))
        return out.raw[:n]
    raise ValueError(kind)


INCOMPAT = {"none": 0, "xz": 1, "lz4": 2, "zstd": 8}[comp] | (16 if compact else 0)
OBJFLAG = {"none": 0, "xz": 1, "lz4": 2, "zstd": 4}[comp]
HEADER_SIZE = 272

buf = bytearray(HEADER_SIZE)
n_objects = 0


def align8():
    while len(buf) % 8:
        buf.append(0)


def add_object(otype, flags, payload):
    global n_objects
    align8()
    off = len(buf)
    buf.extend(struct.pack("<BB6xQ", otype, flags, 16 + len(payload)))
    buf.extend(payload)
    n_objects += 1
    return off


def h64(b):
    return int.from_bytes(hashlib.sha256(b).digest()[:8], "little")


data_ht = add_object(4, 0, bytes(16 * 64))
field_ht = add_object(5, 0, bytes(16 * 16))

rng = seed
def rand():
    global rng
    rng = (rng * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    return rng >> 33

boot = hashlib.md5(b"boot%d" % seed).digest()
entries = []
data_offsets = {}
n_data = 0
base = 1690000000000000 + seed * 1000
for i in range(40):
    fields = [b"MESSAGE=entry %d of file %d" % (i, seed), b"PRIORITY=%d" % (i % 8),
              b"SYSLOG_IDENTIFIER=writer", b"_PID=%d" % (1000 + seed)]
    if i % 3 == 0:
        fields.append(b"LONG=" + (b"compressible text %d " % i) * 100)
    if i % 7 == 0:
        fields.append(b"HUGE=" + bytes((j * 13 + i) % 256 for j in range(90000)))
    if i % 5 == 0:
        fields.append(b"BINARY=" + bytes(range(256)))
    items = []
    for f in fields:
        if f not in data_offsets:
            payload = f
            flags = 0
            if comp != "none" and len(f) >= 512:
                payload = compress(comp, f)
                flags = OBJFLAG
            body = struct.pack("<QQQQQQ", h64(f), 0, 0, 0, 0, 0)
            if compact:
                body += struct.pack("<II", 0, 0)
            off = add_object(1, flags, body + payload)
            data_offsets[f] = off
            n_data += 1
        items.append((data_offsets[f], h64(f)))
    entries.append((i + 1, base + i * 1000000 + rand() % 1000, 100 + i * 1000000, items))

entry_offsets = []
for seqnum, rt, mono, items in entries:
    xor = 0
    for _, h in items:
        xor ^= h
    body = struct.pack("<QQQ", seqnum, rt, mono) + boot + struct.pack("<Q", xor)
    for off, h in items:
        body += struct.pack("<I", off) if compact else struct.pack("<QQ", off, h)
    eo = add_object(3, 0, body)
    entry_offsets.append(eo)
    # point each DATA object at its first entry, as journald does
    for off, _ in items:
        n = struct.unpack_from("<Q", buf, off + 56)[0]
        if n == 0:
            struct.pack_into("<QQ", buf, off + 40, eo, 0)
            struct.pack_into("<Q", buf, off + 56, 1)

# the global entry array chain: 4, 8, 16, ... slots, the last one partly unused
arrays = []
i = 0
size = 4
while i < len(entry_offsets):
    chunk = entry_offsets[i:i + size]
    slots = chunk + [0] * (size - len(chunk))
    fmt = "<I" if compact else "<Q"
    body = struct.pack("<Q", 0) + b"".join(struct.pack(fmt, x) for x in slots)
    arrays.append(add_object(6, 0, body))
    i += size
    size *= 2
last_used = len(entry_offsets) - sum(4 << k for k in range(len(arrays) - 1))
for a, b in zip(arrays, arrays[1:]):
    struct.pack_into("<Q", buf, a + 16, b)
align8()

tail_object = max([data_ht, field_ht] + entry_offsets + arrays)
file_id = hashlib.md5(b"file%d%s%s" % (seed, comp.encode(), mode.encode())).digest()
machine = hashlib.md5(b"machine").digest()
seqnum_id = hashlib.md5(b"seqnum%d" % seed).digest()
hdr = struct.pack("<8sIIB7x16s16s16s16s21QIIQ",
                  b"LPKSHHRH", 0, INCOMPAT, 0, file_id, machine, boot, seqnum_id,
                  HEADER_SIZE, len(buf) - HEADER_SIZE,
                  data_ht + 16, 16 * 64, field_ht + 16, 16 * 16,
                  tail_object, n_objects, len(entries),
                  entries[-1][0], entries[0][0], arrays[0],
                  entries[0][1], entries[-1][1], entries[-1][2],
                  n_data, 0, 0, len(arrays), 0, 0,
                  arrays[-1], last_used, entry_offsets[-1])
assert len(hdr) == HEADER_SIZE, len(hdr)
buf[:HEADER_SIZE] = hdr
with open(out_path, "wb") as f:
    f.write(buf)

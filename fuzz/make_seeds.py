#!/usr/bin/env python3
"""Turns disk images into sparse fuzz seeds (see common/sparse_image.rs).

usage: make_seeds.py OUT_DIR IMAGE...
Each image becomes OUT_DIR/<name>: its size, then its non-zero 512-byte sectors, merged into
runs of at most 65535 bytes.
"""
import os
import struct
import sys

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
for path in sys.argv[2:]:
    data = open(path, 'rb').read()
    out = bytearray(struct.pack('<I', (len(data) + 1023) // 1024))
    run_start, run = None, bytearray()
    for off in range(0, len(data), 512):
        sector = data[off:off + 512]
        if any(sector) and run_start is not None and off == run_start + len(run) and len(run) + 512 <= 65535:
            run += sector
            continue
        if run_start is not None:
            out += struct.pack('<IH', run_start, len(run)) + run
            run_start, run = None, bytearray()
        if any(sector):
            run_start, run = off, bytearray(sector)
    if run_start is not None:
        out += struct.pack('<IH', run_start, len(run)) + run
    name = os.path.join(out_dir, os.path.basename(path))
    open(name, 'wb').write(out)
    print(name, len(out))

#!/usr/bin/env python3
"""Writes small seed inputs for the lvm_label and lvm_metadata fuzz targets: compact PVs
(1 KiB extents, 4 KiB metadata area) holding a VG with linear, striped, mirror and zero LVs."""
import struct, zlib, os

def calc_crc(data, initial=0xf597a6cf):
    # LVM's CRC is zlib's CRC-32 register without the inversions.
    return (~zlib.crc32(data, (~initial) & 0xffffffff)) & 0xffffffff

def dash(u):
    return '-'.join([u[0:6], u[6:10], u[10:14], u[14:18], u[18:22], u[22:26], u[26:32]])

MDA_OFF, MDA_SIZE, PE_START, EXT = 1024, 4096, 5120, 1024

def pv(uuid, text, pe_count):
    size = PE_START + pe_count * EXT
    d = bytearray(size)
    lab = bytearray(512)
    lab[0:8] = b'LABELONE'
    struct.pack_into('<QII8s', lab, 8, 1, 0, 32, b'LVM2 001')
    lab[32:64] = uuid.encode()
    struct.pack_into('<Q', lab, 64, size)
    struct.pack_into('<QQQQ', lab, 72, PE_START, 0, 0, 0)
    struct.pack_into('<QQQQ', lab, 104, MDA_OFF, MDA_SIZE, 0, 0)
    struct.pack_into('<II', lab, 136, 2, 1)
    struct.pack_into('<I', lab, 16, calc_crc(bytes(lab[20:])))
    d[512:1024] = lab
    t = text.encode() + b'\0'
    assert 512 + len(t) <= MDA_SIZE, len(t)
    h = bytearray(512)
    h[4:20] = b' LVM2 x[5A%r0N*>'
    struct.pack_into('<IQQ', h, 20, 1, MDA_OFF, MDA_SIZE)
    struct.pack_into('<QQII', h, 40, 512, len(t), calc_crc(t), 0)
    struct.pack_into('<I', h, 0, calc_crc(bytes(h[4:])))
    d[MDA_OFF:MDA_OFF + 512] = h
    d[MDA_OFF + 512:MDA_OFF + 512 + len(t)] = t
    for i in range(pe_count):  # recognisable extents
        d[PE_START + i * EXT:PE_START + (i + 1) * EXT] = bytes([i + 1]) * EXT
    return bytes(d)

def lv(name, segs, visible=True):
    st = '"READ", "WRITE"' + (', "VISIBLE"' if visible else '')
    body = ''.join('segment%d {\nstart_extent = %d\nextent_count = %d\n%s\n}\n' % (i + 1, s, c, b)
                   for i, (s, c, b) in enumerate(segs))
    u = (name * 32)[:32]
    return '%s {\nid = "%s"\nstatus = [%s]\nflags = []\nsegment_count = %d\n%s}\n' % (name, dash(u), st, len(segs), body)

def lin(pvk, pe):
    return 'type = "striped"\nstripe_count = 1\nstripes = ["%s", %d]' % (pvk, pe)

def vg(pvs, lvs, seqno=3):
    p = ''.join('%s {\nid = "%s"\nstatus = ["ALLOCATABLE"]\nflags = []\npe_start = %d\npe_count = %d\n}\n'
                % (k, dash(u), PE_START // 512, n) for k, u, n in pvs)
    return ('fuzzvg {\nid = "%s"\nseqno = %d\nformat = "lvm2"\nstatus = ["RESIZEABLE", "READ", "WRITE"]\n'
            'flags = []\nextent_size = %d\nmax_lv = 0\nmax_pv = 0\nphysical_volumes {\n%s}\n'
            'logical_volumes {\n%s}\n}\ncontents = "Text Format Volume Group"\nversion = 1\n'
            % (dash('V' * 32), seqno, EXT // 512, p, ''.join(lvs)))

A, B = 'A' * 16 + 'a' * 16, 'B' * 16 + 'b' * 16
one = vg([('pv0', A, 8)], [
    lv('lin', [(0, 1, lin('pv0', 0)), (1, 1, lin('pv0', 5))]),
    lv('st', [(0, 2, 'type = "striped"\nstripe_count = 2\nstripe_size = 1\nstripes = ["pv0", 1, "pv0", 2]')]),
    lv('mir', [(0, 1, 'type = "mirror"\nmirror_count = 2\nmirrors = ["mimg0", 0, "mimg1", 0]')]),
    lv('z', [(0, 2, 'type = "zero"')]),
    lv('mimg0', [(0, 1, lin('pv0', 3))], False),
    lv('mimg1', [(0, 1, lin('pv0', 4))], False),
])
two = vg([('pv0', A, 4), ('pv1', B, 4)], [
    lv('span', [(0, 2, lin('pv0', 0)), (2, 2, lin('pv1', 0))]),
    lv('st', [(0, 4, 'type = "striped"\nstripe_count = 2\nstripe_size = 1\nstripes = ["pv0", 2, "pv1", 2]')]),
])
here = os.path.dirname(os.path.abspath(__file__))
open(os.path.join(here, 'lvm_label', 'one-pv'), 'wb').write(b'\0' + pv(A, one, 8))
open(os.path.join(here, 'lvm_label', 'two-pvs'), 'wb').write(b'\1' + pv(A, two, 4) + pv(B, two, 4))
open(os.path.join(here, 'lvm_metadata', 'one-pv.vg'), 'w').write(one)
open(os.path.join(here, 'lvm_metadata', 'two-pvs.vg'), 'w').write(two)

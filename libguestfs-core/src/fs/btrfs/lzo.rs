//! LZO1X decompression (what `lzo1x_decompress_safe` accepts, without the LZO-RLE variant
//! btrfs never writes), and btrfs's framing of it: a 4-byte total length, then segments of a
//! 4-byte length and LZO1X data, each decompressing to at most one sector, with a segment
//! header never crossing a sector boundary (the remaining bytes of the sector are padding).

use crate::bytes::{le16, le32, u8_at};

/// Appends to `out` the LZO1X stream `input`; `out` grows to `limit` bytes at most. Returns
/// None on a malformed stream.
fn lzo1x(input: &[u8], out: &mut Vec<u8>, limit: usize) -> Option<()> {
    let start = out.len();
    let mut ip = 0usize;
    let byte = |ip: &mut usize| -> Option<usize> {
        let b = input.get(*ip).copied()?;
        *ip += 1;
        Some(usize::from(b))
    };
    // Counts a run of zero bytes (each worth 255) then adds the byte after it.
    let zero_run = |ip: &mut usize, base: usize| -> Option<usize> {
        let mut t = 0usize;
        while *input.get(*ip)? == 0 {
            *ip += 1;
            t = t.checked_add(255)?;
        }
        let b = usize::from(input[*ip]);
        *ip += 1;
        t.checked_add(base)?.checked_add(b)
    };
    let literals = |ip: &mut usize, out: &mut Vec<u8>, n: usize| -> Option<()> {
        let src = input.get(*ip..ip.checked_add(n)?)?;
        if out.len() + n > limit {
            return None;
        }
        out.extend_from_slice(src);
        *ip += n;
        Some(())
    };
    let copy_match = |out: &mut Vec<u8>, dist: usize, n: usize| -> Option<()> {
        if dist == 0 || dist > out.len() - start || out.len() + n > limit {
            return None;
        }
        let from = out.len() - dist;
        for i in 0..n {
            let b = out[from + i];
            out.push(b);
        }
        Some(())
    };
    let mut state;
    if u8_at(input, 0) > 17 {
        let t = byte(&mut ip)? - 17;
        literals(&mut ip, out, t)?;
        state = if t < 4 { t } else { 4 };
    } else {
        state = 0;
    }
    loop {
        let mut t = byte(&mut ip)?;
        let (dist, len, next);
        if t < 16 {
            if state == 0 {
                if t == 0 {
                    t = zero_run(&mut ip, 15)?;
                }
                literals(&mut ip, out, t + 3)?;
                state = 4;
                continue;
            }
            let b = byte(&mut ip)?;
            next = t & 3;
            if state != 4 {
                dist = 1 + (t >> 2) + (b << 2);
                len = 2;
            } else {
                dist = 1 + 0x800 + (t >> 2) + (b << 2);
                len = 3;
            }
        } else if t >= 64 {
            let b = byte(&mut ip)?;
            next = t & 3;
            dist = 1 + ((t >> 2) & 7) + (b << 3);
            len = (t >> 5) + 1;
        } else if t >= 32 {
            let mut l = (t & 31) + 2;
            if l == 2 {
                l = zero_run(&mut ip, 31)? + 2;
            }
            let v = usize::from(le16(input.get(ip..ip + 2)?, 0));
            ip += 2;
            dist = 1 + (v >> 2);
            next = v & 3;
            len = l;
        } else {
            let mut l = (t & 7) + 2;
            if l == 2 {
                l = zero_run(&mut ip, 7)? + 2;
            }
            let v = usize::from(le16(input.get(ip..ip + 2)?, 0));
            ip += 2;
            let d = ((t & 8) << 11) + (v >> 2);
            if d == 0 {
                // End of stream.
                return Some(());
            }
            dist = d + 0x4000;
            next = v & 3;
            len = l;
        }
        copy_match(out, dist, len)?;
        literals(&mut ip, out, next)?;
        state = next;
    }
}

/// Decompresses btrfs's LZO framing of one extent to at most `limit` bytes.
pub fn decompress(input: &[u8], sectorsize: usize, limit: usize) -> Option<Vec<u8>> {
    let total = (le32(input, 0) as usize).min(input.len());
    let mut out = Vec::with_capacity(limit.min(1 << 20));
    let mut off = 4;
    while off < total && out.len() < limit {
        // A segment header does not cross a sector: skip the sector's padding.
        let left = sectorsize - off % sectorsize;
        if left < 4 {
            off += left;
            if off >= total {
                break;
            }
        }
        let seg = le32(input.get(off..off + 4)?, 0) as usize;
        off += 4;
        let data = input.get(off..off.checked_add(seg)?)?;
        let cap = (out.len() + sectorsize).min(limit);
        lzo1x(data, &mut out, cap)?;
        off += seg;
    }
    Some(out)
}

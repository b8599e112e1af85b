//! xz blocks as mksquashfs writes them (liblzma's one-shot encoder: one stream of one block,
//! CRC32 check), with an optional x86 BCJ filter before LZMA2 (`-Xbcj x86`).
//!
//! The container is parsed here rather than by lzma-rs's `xz_decompress`, which knows no BCJ
//! filter, and so that the LZMA2 chunk headers can be summed first: their uncompressed sizes
//! must fit the block, so that a decompression bomb is refused before anything is decoded.

use super::corrupt;
use crate::error::Result;

const MAGIC: &[u8; 6] = b"\xfd7zXZ\x00";
const FILTER_X86: u64 = 0x04;
const FILTER_LZMA2: u64 = 0x21;
const CHECK_NONE: u8 = 0;
const CHECK_CRC32: u8 = 1;

fn err(what: &str) -> crate::error::Error {
    corrupt(format!("xz block: {}", what))
}

fn byte(src: &[u8], pos: usize) -> Result<u8> {
    src.get(pos).copied().ok_or_else(|| err("truncated"))
}

/// An xz variable-length integer (7 bits a byte, at most 9 bytes).
fn vli(src: &[u8], pos: &mut usize) -> Result<u64> {
    let mut v = 0u64;
    for i in 0..9 {
        let b = byte(src, *pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(err("bad variable-length integer"))
}

/// Walks LZMA2 chunks from the start of `src`: the length of the LZMA2 data (end marker
/// included) and the total uncompressed size, failing past `max`.
fn lzma2_extent(src: &[u8], max: usize) -> Result<(usize, usize)> {
    let (mut pos, mut total) = (0usize, 0usize);
    loop {
        let control = byte(src, pos)?;
        let be16 = |p: usize| -> Result<usize> {
            Ok(usize::from(byte(src, p)?) << 8 | usize::from(byte(src, p + 1)?))
        };
        let (unpacked, next) = match control {
            0 => return Ok((pos + 1, total)),
            1 | 2 => {
                let n = be16(pos + 1)? + 1;
                (n, pos + 3 + n)
            }
            0x80..=0xff => {
                let unpacked = (usize::from(control & 0x1f) << 16) + be16(pos + 1)? + 1;
                let packed = be16(pos + 3)? + 1;
                let header = if control >= 0xc0 { 6 } else { 5 };
                (unpacked, pos + header + packed)
            }
            _ => return Err(err("bad LZMA2 chunk")),
        };
        total += unpacked;
        if total > max {
            return Err(err(&format!("expands past {} bytes", max)));
        }
        if next > src.len() {
            return Err(err("LZMA2 chunk past the block's end"));
        }
        pos = next;
    }
}

/// The x86 BCJ decoder (xz's `simple/x86.c`, start offset 0) over a whole block.
fn x86_decode(buf: &mut [u8]) {
    const ALLOWED: [bool; 8] = [true, true, true, false, true, false, false, false];
    const BIT: [u32; 8] = [0, 1, 2, 2, 3, 3, 3, 3];
    let ms_byte = |b: u8| b == 0 || b == 0xff;
    let mut prev_mask: u32 = 0;
    let mut prev_pos: u32 = 0u32.wrapping_sub(5);
    if buf.len() < 5 {
        return;
    }
    let limit = buf.len() - 5;
    let mut i = 0usize;
    while i <= limit {
        let b = buf[i];
        if b != 0xe8 && b != 0xe9 {
            i += 1;
            continue;
        }
        let now = i as u32;
        let offset = now.wrapping_sub(prev_pos);
        prev_pos = now;
        if offset > 5 {
            prev_mask = 0;
        } else {
            for _ in 0..offset {
                prev_mask &= 0x77;
                prev_mask <<= 1;
            }
        }
        let b4 = buf[i + 4];
        if ms_byte(b4) && ALLOWED[((prev_mask >> 1) & 7) as usize] && (prev_mask >> 1) < 0x10 {
            let mut src = u32::from_le_bytes([buf[i + 1], buf[i + 2], buf[i + 3], b4]);
            let mut dest;
            loop {
                dest = src.wrapping_sub(now.wrapping_add(5));
                if prev_mask == 0 {
                    break;
                }
                let bit = BIT[(prev_mask >> 1) as usize & 7];
                let b = (dest >> (24 - bit * 8)) as u8;
                if !ms_byte(b) {
                    break;
                }
                src = dest ^ ((1u32 << (32 - bit * 8)) - 1);
            }
            let d = dest.to_le_bytes();
            buf[i + 1] = d[0];
            buf[i + 2] = d[1];
            buf[i + 3] = d[2];
            buf[i + 4] = (!(((dest >> 24) & 1).wrapping_sub(1))) as u8;
            i += 5;
            prev_mask = 0;
        } else {
            i += 1;
            prev_mask |= 1;
            if ms_byte(b4) {
                prev_mask |= 0x10;
            }
        }
    }
}

/// Decompresses one xz block into at most `max` bytes.
/// Blocks whose LZMA2 dictionary is larger than `dict_max` are refused, as the kernel's
/// preallocating decoder refuses them.
pub fn decompress(src: &[u8], max: usize, dict_max: u32) -> Result<Vec<u8>> {
    if src.get(..6) != Some(&MAGIC[..]) {
        return Err(err("bad magic"));
    }
    let flags = src.get(6..8).ok_or_else(|| err("truncated"))?;
    if crc32fast::hash(flags).to_le_bytes()[..]
        != *src.get(8..12).ok_or_else(|| err("truncated"))?
    {
        return Err(err("bad stream header checksum"));
    }
    let check = flags[1];
    if flags[0] != 0 || (check != CHECK_NONE && check != CHECK_CRC32) {
        return Err(err("unsupported stream flags"));
    }
    let pos = 12usize;
    let header_size = (usize::from(byte(src, pos)?) + 1) * 4;
    let header = src
        .get(pos..pos + header_size)
        .ok_or_else(|| err("truncated block header"))?;
    let (body, crc) = header.split_at(header_size - 4);
    if crc32fast::hash(body).to_le_bytes()[..] != *crc {
        return Err(err("bad block header checksum"));
    }
    let block_flags = byte(body, 1)?;
    if block_flags & 0x3c != 0 {
        return Err(err("reserved block flags"));
    }
    let mut p = 2usize;
    if block_flags & 0x40 != 0 {
        vli(body, &mut p)?;
    }
    if block_flags & 0x80 != 0 {
        vli(body, &mut p)?;
    }
    let mut x86 = false;
    let filters = usize::from(block_flags & 3) + 1;
    for n in 0..filters {
        let id = vli(body, &mut p)?;
        let props = vli(body, &mut p)?;
        let last = n + 1 == filters;
        match id {
            FILTER_X86 if !last && props == 0 && !x86 => x86 = true,
            FILTER_LZMA2 if last && props == 1 => {
                let b = byte(body, p)?;
                p += 1;
                // (2 | low bit) << (b / 2 + 11), at most 4 GiB - 1 (40).
                let dict = match b {
                    0..=39 => (2u64 | u64::from(b & 1)) << (b / 2 + 11),
                    40 => u64::from(u32::MAX),
                    _ => return Err(err("bad LZMA2 dictionary size")),
                };
                if dict > u64::from(dict_max) {
                    return Err(err(&format!(
                        "LZMA2 dictionary of {} bytes, larger than the filesystem's {} \
                         (the kernel refuses it)",
                        dict, dict_max
                    )));
                }
            }
            _ => {
                return Err(err(&format!(
                    "unsupported filter 0x{:x} (only x86 BCJ and LZMA2 are decoded)",
                    id
                )))
            }
        }
    }
    let data = &src[pos + header_size..];
    let (len, total) = lzma2_extent(data, max)?;
    let mut out = Vec::with_capacity(total);
    lzma_rs::lzma2_decompress(&mut &data[..len], &mut out)
        .map_err(|e| err(&format!("LZMA2: {}", e)))?;
    if out.len() != total {
        return Err(err("LZMA2 data shorter than its chunks say"));
    }
    if check == CHECK_CRC32 {
        // The check follows the block, padded to 4 bytes.
        let at = pos + header_size + len.next_multiple_of(4);
        let want = src.get(at..at + 4).ok_or_else(|| err("truncated check"))?;
        if x86 {
            // The check covers the filtered-back data.
            x86_decode(&mut out);
        }
        if crc32fast::hash(&out).to_le_bytes()[..] != *want {
            return Err(err("bad CRC32"));
        }
    } else if x86 {
        x86_decode(&mut out);
    }
    Ok(out)
}

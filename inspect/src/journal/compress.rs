//! Decompression of compressed DATA payloads (XZ, LZ4, ZSTD), with bounded output.
//!
//! Every function returns at most `limit` bytes and says whether the payload was longer.
//! Memory stays bounded by `limit` (plus one LZMA2 chunk or one zstd window) whatever the
//! compressed bytes claim.

use super::format::{OBJECT_COMPRESSED_LZ4, OBJECT_COMPRESSED_XZ, OBJECT_COMPRESSED_ZSTD};
use crate::error::{Error, Result};
use std::io::Read;

/// The largest decompressed payload ever produced, whatever the caller's limit.
pub const MAX_DECOMPRESSED_SIZE: usize = 64 << 20;

/// The compression of a DATA object's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Xz,
    Lz4,
    Zstd,
}

impl Compression {
    /// The compression named by a DATA object's flags; None when uncompressed.
    pub fn from_object_flags(flags: u8) -> Result<Option<Compression>> {
        let c = flags & (OBJECT_COMPRESSED_XZ | OBJECT_COMPRESSED_LZ4 | OBJECT_COMPRESSED_ZSTD);
        match c {
            0 => Ok(None),
            OBJECT_COMPRESSED_XZ => Ok(Some(Compression::Xz)),
            OBJECT_COMPRESSED_LZ4 => Ok(Some(Compression::Lz4)),
            OBJECT_COMPRESSED_ZSTD => Ok(Some(Compression::Zstd)),
            _ => Err(Error::corrupt(format!(
                "journal: DATA object has several compression flags (0x{:x})",
                flags
            ))),
        }
    }
}

/// The decompressed bytes, cut at `limit`, and whether they were cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decompressed {
    pub data: Vec<u8>,
    pub truncated: bool,
}

/// Decompresses `src` into at most `limit` bytes (and never more than
/// [`MAX_DECOMPRESSED_SIZE`]).
pub fn decompress(kind: Compression, src: &[u8], limit: usize) -> Result<Decompressed> {
    let limit = limit.min(MAX_DECOMPRESSED_SIZE);
    match kind {
        Compression::Xz => xz(src, limit),
        Compression::Lz4 => lz4(src, limit),
        Compression::Zstd => zstd(src, limit),
    }
}

fn cut(mut data: Vec<u8>, limit: usize) -> Decompressed {
    let truncated = data.len() > limit;
    data.truncate(limit);
    Decompressed { data, truncated }
}

/// systemd's LZ4 payload: the decompressed size as a little-endian u64, then one LZ4 block.
fn lz4(src: &[u8], limit: usize) -> Result<Decompressed> {
    let (size, block) = match (src.get(..8), src.get(8..)) {
        (Some(s), Some(b)) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            (u64::from_le_bytes(a), b)
        }
        _ => return Err(Error::corrupt("journal: LZ4 payload is too short")),
    };
    if size > MAX_DECOMPRESSED_SIZE as u64 {
        // An LZ4 block cannot be decoded partially here, and the whole is too big to hold.
        return Err(Error::new(
            libc::EFBIG,
            format!("journal: LZ4 payload of {} bytes is too large", size),
        ));
    }
    // One input byte produces at most 255 output bytes (plus a short literal tail), so a
    // larger claim is corrupt: refuse it before allocating.
    if size > (block.len() as u64).saturating_mul(255).saturating_add(16) {
        return Err(Error::corrupt(format!(
            "journal: LZ4 payload claims {} bytes from {} compressed bytes",
            size,
            block.len()
        )));
    }
    let mut out = vec![0u8; size as usize];
    let n = lz4_flex::block::decompress_into(block, &mut out)
        .map_err(|e| Error::corrupt(format!("journal: LZ4 decompression failed: {}", e)))?;
    if n != out.len() {
        return Err(Error::corrupt(format!(
            "journal: LZ4 payload decompressed to {} bytes instead of {}",
            n,
            out.len()
        )));
    }
    Ok(cut(out, limit))
}

fn zstd(src: &[u8], limit: usize) -> Result<Decompressed> {
    let mut input = src;
    let decoder = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
        &mut input,
        MAX_DECOMPRESSED_SIZE as u64,
    )
    .map_err(|e| Error::corrupt(format!("journal: ZSTD decompression failed: {}", e)))?;
    let mut out = Vec::new();
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::corrupt(format!("journal: ZSTD decompression failed: {}", e)))?;
    Ok(cut(out, limit))
}

const XZ_MAGIC: &[u8; 6] = b"\xfd7zXZ\x00";
const LZMA2_FILTER_ID: u64 = 0x21;

fn xz_err(what: &str) -> Error {
    Error::corrupt(format!("journal: XZ payload: {}", what))
}

fn byte_at(src: &[u8], pos: usize) -> Result<u8> {
    src.get(pos).copied().ok_or_else(|| xz_err("truncated"))
}

fn be16_at(src: &[u8], pos: usize) -> Result<usize> {
    Ok(((byte_at(src, pos)? as usize) << 8) | byte_at(src, pos + 1)? as usize)
}

/// An xz variable-length integer (7 bits per byte, at most 9 bytes).
fn vli(src: &[u8], pos: &mut usize) -> Result<u64> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let b = byte_at(src, *pos)?;
        *pos += 1;
        v |= ((b & 0x7f) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(xz_err("bad variable-length integer"))
}

/// The xz container (as systemd writes it: liblzma's one-shot encoder, LZMA2 only) is parsed
/// here; each block's LZMA2 chunks are walked to learn their sizes, and only the chunks
/// needed for `limit` bytes are handed to the LZMA2 decoder. This bounds memory by `limit`
/// plus one chunk (at most 2 MiB), which the decoder alone (it accumulates a whole block)
/// would not.
fn xz(src: &[u8], limit: usize) -> Result<Decompressed> {
    if src.get(..6) != Some(&XZ_MAGIC[..]) {
        return Err(xz_err("bad magic"));
    }
    let flags = src.get(6..8).ok_or_else(|| xz_err("truncated"))?;
    if flags[0] != 0 || flags[1] & 0xf0 != 0 {
        return Err(xz_err("unsupported stream flags"));
    }
    let crc = src.get(8..12).ok_or_else(|| xz_err("truncated"))?;
    if crc32fast::hash(flags).to_le_bytes() != crc {
        return Err(xz_err("bad stream header checksum"));
    }
    // Size of the block check field for each check type (xz file format, 2.1.1.2).
    const CHECK_SIZES: [usize; 16] = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
    let check_size = CHECK_SIZES[(flags[1] & 0x0f) as usize];

    let mut out: Vec<u8> = Vec::new();
    let mut pos = 12usize;
    loop {
        let block_start = pos;
        let size_byte = byte_at(src, pos)?;
        if size_byte == 0 {
            // The index: every block has been read.
            return Ok(Decompressed {
                data: out,
                truncated: false,
            });
        }
        let header_size = (size_byte as usize + 1) * 4;
        let header = src
            .get(pos..pos + header_size)
            .ok_or_else(|| xz_err("truncated block header"))?;
        let (body, crc) = header.split_at(header_size - 4);
        if crc32fast::hash(body).to_le_bytes() != crc {
            return Err(xz_err("bad block header checksum"));
        }
        let block_flags = byte_at(header, 1)?;
        if block_flags & 0x3c != 0 || block_flags & 0x03 != 0 {
            // Reserved bits, or more than one filter (BCJ, delta): not what systemd writes.
            return Err(xz_err("unsupported block flags"));
        }
        let mut p = 2usize;
        if block_flags & 0x40 != 0 {
            vli(body, &mut p)?; // compressed size
        }
        if block_flags & 0x80 != 0 {
            vli(body, &mut p)?; // uncompressed size
        }
        if vli(body, &mut p)? != LZMA2_FILTER_ID || vli(body, &mut p)? != 1 {
            return Err(xz_err("unsupported filter"));
        }
        p += 1; // dictionary size property: the decoder grows its buffer as it goes
        if p > body.len() || body[p..].iter().any(|&b| b != 0) {
            return Err(xz_err("bad block header padding"));
        }
        pos += header_size;

        // Walk the LZMA2 chunks.
        let chunks_start = pos;
        let mut chunks_end = None;
        let mut unpacked_total: usize = 0;
        loop {
            let control = byte_at(src, pos)?;
            let (unpacked, chunk_len) = match control {
                0x00 => break,
                0x01 | 0x02 => {
                    let n = be16_at(src, pos + 1)? + 1;
                    (n, 3 + n)
                }
                0x80..=0xff => {
                    let unpacked = (((control & 0x1f) as usize) << 16) + be16_at(src, pos + 1)? + 1;
                    let packed = be16_at(src, pos + 3)? + 1;
                    let header = if control >= 0xc0 { 6 } else { 5 };
                    (unpacked, header + packed)
                }
                _ => return Err(xz_err("bad LZMA2 chunk")),
            };
            pos = pos
                .checked_add(chunk_len)
                .filter(|&e| e <= src.len())
                .ok_or_else(|| xz_err("truncated LZMA2 chunk"))?;
            unpacked_total = unpacked_total.saturating_add(unpacked);
            if out.len().saturating_add(unpacked_total) > limit {
                // Enough for the limit: decode no further.
                chunks_end = Some(pos);
                break;
            }
        }
        let end = chunks_end.unwrap_or(pos);
        let mut lzma2 = Vec::with_capacity(end - chunks_start + 1);
        lzma2.extend_from_slice(&src[chunks_start..end]);
        lzma2.push(0);
        let before = out.len();
        lzma_rs::lzma2_decompress(&mut &lzma2[..], &mut out)
            .map_err(|e| xz_err(&format!("LZMA2 decompression failed: {}", e)))?;
        if out.len() - before != unpacked_total {
            return Err(xz_err("LZMA2 chunk sizes do not match the data"));
        }
        if chunks_end.is_some() {
            return Ok(cut(out, limit));
        }
        // The end-of-chunks byte, block padding to a multiple of 4, then the check.
        pos += 1;
        let padding = (4 - (pos - block_start) % 4) % 4;
        pos = pos
            .checked_add(padding + check_size)
            .filter(|&e| e <= src.len())
            .ok_or_else(|| xz_err("truncated block"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lz4_roundtrip_and_limits() {
        let text = b"hello hello hello hello hello hello world".repeat(100);
        let mut src = (text.len() as u64).to_le_bytes().to_vec();
        src.extend(lz4_flex::block::compress(&text));
        let d = decompress(Compression::Lz4, &src, 1 << 20).unwrap();
        assert_eq!(d.data, text);
        assert!(!d.truncated);
        let d = decompress(Compression::Lz4, &src, 10).unwrap();
        assert_eq!(d.data, &text[..10]);
        assert!(d.truncated);
        // a size claim the input cannot produce
        let mut bad = (1u64 << 25).to_le_bytes().to_vec();
        bad.extend_from_slice(&[0u8; 4]);
        assert!(decompress(Compression::Lz4, &bad, 100).is_err());
        let mut huge = u64::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0u8; 4]);
        assert_eq!(
            decompress(Compression::Lz4, &huge, 100).unwrap_err().errno,
            libc::EFBIG
        );
        assert!(decompress(Compression::Lz4, &[1, 2], 100).is_err());
    }

    #[test]
    fn xz_roundtrip_and_limits() {
        let text: Vec<u8> = (0..3_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut src = Vec::new();
        lzma_rs::xz_compress(&mut &text[..], &mut src).unwrap();
        let d = decompress(Compression::Xz, &src, usize::MAX).unwrap();
        assert_eq!(d.data.len(), text.len());
        assert_eq!(d.data, text);
        assert!(!d.truncated);
        let d = decompress(Compression::Xz, &src, 1000).unwrap();
        assert_eq!(d.data, &text[..1000]);
        assert!(d.truncated);
        for n in (0..src.len()).step_by(97) {
            assert!(decompress(Compression::Xz, &src[..n], 1 << 20).is_err());
        }
        let mut bad = src.clone();
        bad[6] = 1;
        assert!(decompress(Compression::Xz, &bad, 100).is_err());
    }

    #[test]
    fn zstd_rejects_garbage() {
        assert!(decompress(Compression::Zstd, b"not zstd", 100).is_err());
        assert!(decompress(Compression::Zstd, b"", 100).is_err());
    }

    #[test]
    fn flags() {
        assert_eq!(Compression::from_object_flags(0).unwrap(), None);
        assert_eq!(
            Compression::from_object_flags(4).unwrap(),
            Some(Compression::Zstd)
        );
        assert!(Compression::from_object_flags(3).is_err());
    }
}

//! Compressed extents: zlib, LZO (btrfs's framing) and zstd.

use super::lzo;
use std::io::Read;

pub const COMPRESS_NONE: u8 = 0;
pub const COMPRESS_ZLIB: u8 = 1;
pub const COMPRESS_LZO: u8 = 2;
pub const COMPRESS_ZSTD: u8 = 3;

/// Decompresses `input` to at most `limit` bytes; None when the stream is malformed or the
/// type unknown. A stream shorter than `limit` is zero-filled by the caller (the kernel does
/// the same for a short final extent).
pub fn decompress(kind: u8, input: &[u8], sectorsize: usize, limit: usize) -> Option<Vec<u8>> {
    match kind {
        COMPRESS_ZLIB => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(input)
                .take(limit as u64)
                .read_to_end(&mut out)
                .ok()?;
            Some(out)
        }
        COMPRESS_LZO => lzo::decompress(input, sectorsize, limit),
        COMPRESS_ZSTD => {
            let mut out = Vec::new();
            let dec = ruzstd::decoding::StreamingDecoder::new(input).ok()?;
            dec.take(limit as u64).read_to_end(&mut out).ok()?;
            Some(out)
        }
        _ => None,
    }
}

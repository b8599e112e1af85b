//! Decompression of metadata and data blocks, with the output bounded by what the block may
//! hold (8 KiB for metadata, the block size for data): a block that expands past it is
//! corrupt, and decoding stops there (no decompression bombs).
//!
//! Compressors: gzip (zlib streams, flate2), xz (lzma-rs), lz4 (raw LZ4 blocks, lz4_flex)
//! and zstd (ruzstd), all pure Rust. lzo is refused: the only pure-Rust LZO1X decoders on
//! crates.io are GPL-2.0 (`lzo1x`, not LGPL-2.1-compatible) or unmaintained and able to
//! panic on hostile input (`lzokay-native` 0.1.0); legacy lzma (id 2) is refused too.
//! xz blocks are read by [`super::xz`] (the x86 BCJ filter included); images whose
//! compressor options name other BCJ filters are refused.

use super::corrupt;
use crate::error::{Error, Result};
use std::io::Read;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compressor {
    Gzip,
    Xz,
    Lz4,
    Zstd,
}

/// `SQUASHFS_*_COMPRESSION` ids.
const ZLIB: u16 = 1;
const LZMA: u16 = 2;
const LZO: u16 = 3;
const XZ: u16 = 4;
const LZ4: u16 = 5;
const ZSTD: u16 = 6;
/// The x86 bit of the xz compressor options' filter mask.
const XZ_FILTER_X86: u32 = 1;
/// `LZ4_LEGACY`: the only lz4 format version squashfs defines.
const LZ4_LEGACY: u32 = 1;

fn unsupported(why: String) -> Error {
    Error::new(libc::ENOTSUP, format!("squashfs: {}", why))
}

impl Compressor {
    pub fn from_id(id: u16) -> Result<Compressor> {
        match id {
            ZLIB => Ok(Compressor::Gzip),
            XZ => Ok(Compressor::Xz),
            LZ4 => Ok(Compressor::Lz4),
            ZSTD => Ok(Compressor::Zstd),
            LZO => Err(unsupported(
                "lzo compression (no LGPL-compatible, maintained pure-Rust LZO1X decoder)".into(),
            )),
            LZMA => Err(unsupported("legacy lzma compression".into())),
            other => Err(corrupt(format!("unknown compressor id {}", other))),
        }
    }

    /// The xz dictionary size the kernel decodes with (`squashfs_xz_comp_opts`): the
    /// options' when present, else the block size, at least a metadata block.
    pub fn xz_dict(opts: Option<&[u8]>, block_size: u32) -> u32 {
        opts.and_then(|o| o.get(..4))
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
            .unwrap_or(block_size.max(super::superblock::METADATA_SIZE as u32))
    }

    pub fn name(self) -> &'static str {
        match self {
            Compressor::Gzip => "gzip",
            Compressor::Xz => "xz",
            Compressor::Lz4 => "lz4",
            Compressor::Zstd => "zstd",
        }
    }

    /// Checks the compressor options block (what follows the superblock when its flag is
    /// set), refusing what this reader cannot decode.
    pub fn check_options(self, opts: &[u8]) -> Result<()> {
        let u32_at = |off: usize| {
            opts.get(off..off + 4)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        };
        match self {
            Compressor::Xz => {
                // dictionary_size, then the BCJ filters tried by mksquashfs (-Xbcj): x86 is
                // decoded here, the others (powerpc, ia64, arm, armthumb, sparc) are not.
                let filters = u32_at(4).ok_or_else(|| corrupt("xz options are too short"))?;
                let dict = u32_at(0).unwrap_or(0);
                if dict == 0
                    || !(dict.is_power_of_two() || (dict % 3 == 0 && (dict / 3).is_power_of_two()))
                {
                    // The kernel accepts 2^n and 2^n + 2^(n+1) only.
                    return Err(corrupt(format!(
                        "xz dictionary size {} in the options",
                        dict
                    )));
                }
                if filters & !XZ_FILTER_X86 != 0 {
                    return Err(unsupported(format!(
                        "xz with BCJ filters other than x86 (mask 0x{:x})",
                        filters
                    )));
                }
            }
            Compressor::Lz4 => {
                let version = u32_at(0).ok_or_else(|| corrupt("lz4 options are too short"))?;
                if version != LZ4_LEGACY {
                    return Err(unsupported(format!("lz4 format version {}", version)));
                }
            }
            Compressor::Gzip | Compressor::Zstd => {}
        }
        Ok(())
    }

    /// Decompresses one block into at most `max` bytes.
    /// `xz_dict_max` is the dictionary the kernel allocates for xz ([`Compressor::xz_dict`]).
    pub fn decompress(self, src: &[u8], max: usize, xz_dict_max: u32) -> Result<Vec<u8>> {
        let fail = |e: &dyn std::fmt::Display| {
            corrupt(format!("{} decompression failed: {}", self.name(), e))
        };
        let out = match self {
            Compressor::Gzip => {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(src)
                    .take(max as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| fail(&e))?;
                out
            }
            Compressor::Xz => super::xz::decompress(src, max, xz_dict_max)?,
            Compressor::Lz4 => {
                let mut out = vec![0u8; max];
                let n = lz4_flex::block::decompress_into(src, &mut out).map_err(|e| fail(&e))?;
                out.truncate(n);
                out
            }
            Compressor::Zstd => {
                let mut input = src;
                let decoder = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
                    &mut input,
                    // squashfs's zstd windows are at most the block size (1 MiB).
                    2 << 20,
                )
                .map_err(|e| fail(&e))?;
                let mut out = Vec::new();
                decoder
                    .take(max as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| fail(&e))?;
                out
            }
        };
        if out.len() > max {
            return Err(corrupt(format!(
                "{} block expands past {} bytes",
                self.name(),
                max
            )));
        }
        Ok(out)
    }
}

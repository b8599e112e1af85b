//! The System Use Sharing Protocol walk (SUSP, with CE continuation areas) that Rock Ridge
//! entries (RRIP: PX, PN, SL, NM, TF, CL, RE, ZF) are read through, bounded as the kernel's
//! `rock.c` bounds it: at most 32 continuation areas, each within one block.

use super::Iso9660Fs;
use crate::bytes::Fixed;
use crate::error::Result;

/// `RR_MAX_CE_ENTRIES`.
const MAX_CONTINUATIONS: u32 = 32;
/// Size of an entry's header (signature, length, version).
const HEADER: usize = 4;
/// Bytes the kernel's isofs uses as its block size here.
const BLOCK: u32 = 2048;

pub type Sig = [u8; 2];

/// What [`walk`] calls for each entry: signature, recorded length, bytes from the entry on.
pub type Visitor<'a> = dyn FnMut(Sig, usize, &[u8]) -> Result<Flow> + 'a;

/// What a visitor asks of the walk after an entry.
pub enum Flow {
    Next,
    /// The kernel's `goto out`: stop reading, keeping what was read.
    Stop,
}

/// How a walk ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// Every area was read.
    Complete,
    /// A visitor or a malformed entry stopped it (the kernel's `goto out`).
    Stopped,
    /// An entry overflowed its area, or a continuation area was bad or unreadable (EIO).
    Failed,
}

/// The least length `rock_check_overflow` wants left in the area for an entry.
fn least_len(sig: Sig) -> usize {
    HEADER
        + match &sig {
            b"SP" => 3,
            b"CE" => 24,
            b"ER" => 4,
            b"RR" => 1,
            b"PX" => 32,
            b"PN" => 16,
            b"SL" => 3,
            b"NM" => 1,
            b"CL" | b"PL" => 8,
            b"TF" => 1,
            b"ZF" => 12,
            _ => 0,
        }
}

/// Whether an SP entry carries the `BE EF` check bytes (the kernel stops at one that does not).
pub fn sp_ok(rest: &[u8]) -> bool {
    rest.get(4..6) == Some(&[0xbe, 0xef])
}

/// The flags byte that RR, NM, SL and TF entries (and ER's identifier length) have after
/// the header; None for an entry too short to hold it.
pub fn flags_byte(rest: &[u8]) -> Option<u8> {
    rest.get(HEADER).copied()
}

/// Walks the entries of `area` and of the continuation areas it chains to. The visitor gets
/// each entry's signature, its recorded length and the bytes from its start to the end of
/// its area (fixed fields are there, as the overflow check guarantees).
pub fn walk(fs: &Iso9660Fs, area: &[u8], visit: &mut Visitor<'_>) -> End {
    let mut buf = area.to_vec();
    let mut loops = 0;
    loop {
        let (mut ce_extent, mut ce_offset, mut ce_size) = (0u32, 0u32, 0u32);
        let mut pos = 0usize;
        while let Some(&[s0, s1, len]) = buf.get(pos..pos + 3) {
            let rest = &buf[pos..];
            let len = usize::from(len);
            if len < 3 {
                return End::Stopped;
            }
            let sig = [s0, s1];
            if least_len(sig) > rest.len() {
                return End::Failed;
            }
            if len > rest.len() {
                return End::Stopped;
            }
            pos += len;
            if &sig == b"CE" {
                // least_len kept the 24 bytes of fields in `rest`.
                let Some(ce) = Fixed::<{ HEADER + 24 }>::new(rest) else {
                    return End::Failed;
                };
                ce_extent = ce.le32::<4>();
                ce_offset = ce.le32::<12>();
                ce_size = ce.le32::<20>();
                continue;
            }
            match visit(sig, len, rest) {
                Ok(Flow::Next) => {}
                Ok(Flow::Stop) => return End::Stopped,
                Err(_) => return End::Failed,
            }
        }
        if ce_offset > BLOCK - HEADER as u32
            || ce_size > BLOCK
            || ce_offset.saturating_add(ce_size) > BLOCK
        {
            return End::Failed;
        }
        if ce_extent == 0 {
            return End::Complete;
        }
        loops += 1;
        if loops >= MAX_CONTINUATIONS {
            return End::Failed;
        }
        let Ok(block) = fs.block(u64::from(ce_extent)) else {
            return End::Failed;
        };
        let (o, s) = (ce_offset as usize, ce_size as usize);
        match block.get(o..o + s) {
            Some(b) => buf = b.to_vec(),
            None => return End::Failed,
        }
    }
}

/// `get_rock_ridge_filename`: the NM name, `Some(None)` when there is none (the caller then
/// uses the Joliet or plain name), `None` when the entry is hidden (a relocated directory's
/// original place, RE, or a walk that failed).
pub fn name(fs: &Iso9660Fs, area: &[u8]) -> Option<Option<Vec<u8>>> {
    let mut name: Vec<u8> = Vec::new();
    let mut truncated = false;
    let mut relocated = false;
    let end = walk(fs, area, &mut |sig, len, rest| {
        match &sig {
            b"RR" if flags_byte(rest).is_none_or(|f| f & RR_NM == 0) => return Ok(Flow::Stop),
            b"SP" if !sp_ok(rest) => return Ok(Flow::Stop),
            b"NM" => {
                let flags = flags_byte(rest).unwrap_or(0);
                if truncated || len < 5 || flags & 6 != 0 || flags & !1 != 0 {
                    return Ok(Flow::Next);
                }
                let text = rest.get(5..len).unwrap_or(&[]);
                if name.len() + text.len() >= 254 {
                    truncated = true;
                    return Ok(Flow::Next);
                }
                let text = match text.iter().position(|&c| c == 0) {
                    Some(n) => &text[..n],
                    None => text,
                };
                name.extend_from_slice(text);
            }
            b"RE" => {
                relocated = true;
                return Ok(Flow::Stop);
            }
            _ => {}
        }
        Ok(Flow::Next)
    });
    if relocated {
        return None;
    }
    match end {
        End::Complete if !name.is_empty() => Some(Some(name)),
        End::Complete | End::Stopped => Some(None),
        End::Failed => None,
    }
}

/// RR flags: which entries a (pre-1.12) RR entry announces.
pub const RR_PX: u8 = 1;
pub const RR_SL: u8 = 4;
pub const RR_NM: u8 = 8;
pub const RR_CL: u8 = 16;
pub const RR_TF: u8 = 128;

/// Appends the text of one SL entry to `out` as `get_symlink_chunk` does; false when the
/// target would exceed `limit` bytes.
pub fn symlink_chunk(out: &mut Vec<u8>, len: usize, rest: &[u8], limit: usize) -> bool {
    let sl_flags = flags_byte(rest).unwrap_or(0);
    let mut slen = len as i64 - 5;
    let mut p = 5usize;
    while slen > 1 {
        let (Some(&flags), Some(&clen)) = (rest.get(p), rest.get(p + 1)) else {
            break;
        };
        let clen = usize::from(clen);
        let mut root = false;
        match flags & !1 {
            0 => {
                if clen > limit.saturating_sub(out.len()) {
                    return false;
                }
                let Some(text) = rest.get(p + 2..p + 2 + clen) else {
                    return false;
                };
                out.extend_from_slice(text);
            }
            2 | 4 | 8 => {
                let add: &[u8] = match flags & !1 {
                    2 => b".",
                    4 => b"..",
                    _ => {
                        root = true;
                        b"/"
                    }
                };
                if add.len() > limit.saturating_sub(out.len()) {
                    return false;
                }
                out.extend_from_slice(add);
            }
            _ => {}
        }
        slen -= clen as i64 + 2;
        let continued = flags & 1 != 0;
        p += clen + 2;
        if slen < 2 {
            if !root && sl_flags & 1 != 0 && !continued {
                if out.len() >= limit {
                    return false;
                }
                out.push(b'/');
            }
            break;
        }
        if !root && !continued {
            if out.len() >= limit {
                return false;
            }
            out.push(b'/');
        }
    }
    true
}

/// The size the kernel gives a symlink from one SL entry (added to `size`), which counts
/// like [`symlink_chunk`] but without a limit.
pub fn symlink_size(size: u64, len: usize, rest: &[u8]) -> u64 {
    let sl_flags = flags_byte(rest).unwrap_or(0);
    let mut size = size;
    let mut slen = len as i64 - 5;
    let mut p = 5usize;
    while slen > 1 {
        let (Some(&flags), Some(&clen)) = (rest.get(p), rest.get(p + 1)) else {
            break;
        };
        let clen = usize::from(clen);
        let mut root = false;
        match flags & !1 {
            0 => size += clen as u64,
            2 => size += 1,
            4 => size += 2,
            8 => {
                root = true;
                size += 1;
            }
            _ => {}
        }
        slen -= clen as i64 + 2;
        let continued = flags & 1 != 0;
        p += clen + 2;
        if slen < 2 {
            if sl_flags & 1 != 0 && !continued {
                size += 1;
            }
            break;
        }
        if !root && !continued {
            size += 1;
        }
    }
    size
}

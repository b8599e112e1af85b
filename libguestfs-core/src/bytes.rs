//! Little- and big-endian field readers that never panic: a field outside the buffer reads
//! as 0 (callers check lengths where a short buffer matters), or, with the `try_` readers,
//! as `None`, for parsers where a short buffer is corruption to report.

fn field<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    off.checked_add(N)
        .and_then(|end| b.get(off..end))
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; N])
}

pub fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(field(b, off))
}

pub fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(field(b, off))
}

pub fn le64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(field(b, off))
}

pub fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes(field(b, off))
}

pub fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes(field(b, off))
}

pub fn be64(b: &[u8], off: usize) -> u64 {
    u64::from_be_bytes(field(b, off))
}

pub fn u8_at(b: &[u8], off: usize) -> u8 {
    b.get(off).copied().unwrap_or(0)
}

fn try_field<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    off.checked_add(N)
        .and_then(|end| b.get(off..end))
        .and_then(|s| s.try_into().ok())
}

pub fn try_be16(b: &[u8], off: usize) -> Option<u16> {
    try_field(b, off).map(u16::from_be_bytes)
}

pub fn try_be32(b: &[u8], off: usize) -> Option<u32> {
    try_field(b, off).map(u32::from_be_bytes)
}

pub fn try_be64(b: &[u8], off: usize) -> Option<u64> {
    try_field(b, off).map(u64::from_be_bytes)
}

pub fn try_le32(b: &[u8], off: usize) -> Option<u32> {
    try_field(b, off).map(u32::from_le_bytes)
}

/// `len` bytes at `off`, or `None` when they are not all in `b`.
pub fn try_slice(b: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    b.get(off..off.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_reads_zero() {
        let b = [1u8, 2, 3];
        assert_eq!(le16(&b, 1), 0x0302);
        assert_eq!(le32(&b, 0), 0);
        assert_eq!(be16(&b, usize::MAX), 0);
        assert_eq!(u8_at(&b, 3), 0);
        assert_eq!(le64(&[1, 0, 0, 0, 0, 0, 0, 0], 0), 1);
        assert_eq!(be64(&b, usize::MAX - 3), 0);
    }

    #[test]
    fn checked_reads_say_when_out_of_range() {
        let b = [1u8, 2, 3, 4];
        assert_eq!(try_be16(&b, 2), Some(0x0304));
        assert_eq!(try_be16(&b, 3), None);
        assert_eq!(try_be32(&b, 0), Some(0x0102_0304));
        assert_eq!(try_le32(&b, 0), Some(0x0403_0201));
        assert_eq!(try_be64(&b, 0), None);
        assert_eq!(try_be32(&b, usize::MAX), None);
        assert_eq!(try_slice(&b, 1, 3), Some(&b[1..]));
        assert_eq!(try_slice(&b, 2, 3), None);
        assert_eq!(try_slice(&b, usize::MAX, 2), None);
    }
}

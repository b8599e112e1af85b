//! Little- and big-endian field readers that never panic: a field outside the buffer reads
//! as 0 (callers check lengths where a short buffer matters).

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
}

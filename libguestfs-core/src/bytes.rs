//! Little- and big-endian field readers that never panic:
//! - `Fixed`: a structure of known size, its length checked once, its fields at constant
//!   offsets checked by the compiler;
//! - the `try_` readers: `None` for a field outside the buffer, for parsers where a short
//!   buffer is corruption to report;
//! - `le16` and its siblings: a field outside the buffer reads as 0. Older parsers that check
//!   lengths themselves still use them; new code uses the two kinds above.

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

pub fn try_u8(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

pub fn try_le16(b: &[u8], off: usize) -> Option<u16> {
    try_field(b, off).map(u16::from_le_bytes)
}

pub fn try_le64(b: &[u8], off: usize) -> Option<u64> {
    try_field(b, off).map(u64::from_le_bytes)
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

/// The first `N` bytes of an on-disk structure. Its fields are read at constant offsets that
/// the compiler checks against `N`, so a field can never lie past the end; the one runtime
/// check is the length, when the structure is taken from a buffer.
#[derive(Clone, Copy)]
pub struct Fixed<'a, const N: usize>(&'a [u8; N]);

impl<'a, const N: usize> From<&'a [u8; N]> for Fixed<'a, N> {
    fn from(b: &'a [u8; N]) -> Self {
        Fixed(b)
    }
}

impl<'a, const N: usize> Fixed<'a, N> {
    /// The `N` bytes at `off` in `b`, or `None` when `b` is shorter.
    pub fn at(b: &'a [u8], off: usize) -> Option<Self> {
        try_slice(b, off, N)?.try_into().ok().map(Fixed)
    }

    /// The `N` bytes at the start of `b`, or `None` when `b` is shorter.
    pub fn new(b: &'a [u8]) -> Option<Self> {
        Self::at(b, 0)
    }

    pub fn bytes(self) -> &'a [u8; N] {
        self.0
    }

    /// `L` bytes at `OFF`.
    pub fn array<const OFF: usize, const L: usize>(self) -> [u8; L] {
        const { assert!(OFF + L <= N, "field past the end of the structure") };
        let mut a = [0; L];
        a.copy_from_slice(&self.0[OFF..OFF + L]);
        a
    }

    pub fn u8<const OFF: usize>(self) -> u8 {
        u8::from_le_bytes(self.array::<OFF, 1>())
    }

    pub fn le16<const OFF: usize>(self) -> u16 {
        u16::from_le_bytes(self.array::<OFF, 2>())
    }

    pub fn le32<const OFF: usize>(self) -> u32 {
        u32::from_le_bytes(self.array::<OFF, 4>())
    }

    pub fn le64<const OFF: usize>(self) -> u64 {
        u64::from_le_bytes(self.array::<OFF, 8>())
    }

    pub fn be16<const OFF: usize>(self) -> u16 {
        u16::from_be_bytes(self.array::<OFF, 2>())
    }

    pub fn be32<const OFF: usize>(self) -> u32 {
        u32::from_be_bytes(self.array::<OFF, 4>())
    }

    pub fn be64<const OFF: usize>(self) -> u64 {
        u64::from_be_bytes(self.array::<OFF, 8>())
    }
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
    fn fixed_structures_check_their_length_once() {
        let b = [1u8, 2, 3, 4, 5];
        assert!(Fixed::<6>::new(&b).is_none());
        assert!(Fixed::<4>::at(&b, 2).is_none());
        assert!(Fixed::<1>::at(&b, usize::MAX).is_none());
        let f = Fixed::<4>::at(&b, 1).unwrap();
        assert_eq!(f.le32::<0>(), 0x0504_0302);
        assert_eq!(f.be16::<2>(), 0x0405);
        assert_eq!(f.u8::<3>(), 5);
        assert_eq!(f.array::<1, 2>(), [3, 4]);
        // `f.le32::<1>()` does not compile: the field would end past the 4 bytes.
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

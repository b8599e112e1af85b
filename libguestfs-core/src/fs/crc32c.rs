//! CRC-32C (Castagnoli), which ext4, jbd2, XFS and btrfs use for their metadata checksums.

/// Continues a CRC-32C over `data` from `seed`, without the initial or final inversion: this
/// is the kernel's `crc32c(seed, data, len)`, which ext4 and jbd2 store as-is. The `crc32c`
/// crate (which uses the CPU's CRC instruction where there is one) inverts before and after.
pub fn crc32c(seed: u32, data: &[u8]) -> u32 {
    !::crc32c::crc32c_append(!seed, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_check_value() {
        // The catalogued CRC-32C of "123456789" uses an initial and a final inversion.
        assert_eq!(!crc32c(!0, b"123456789"), 0xe306_9283);
    }
}

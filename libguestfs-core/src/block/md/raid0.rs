//! raid0: chunks striped over the members in role order. Only one zone (members of equal
//! size once rounded down to the chunk size); with unequal members the kernel builds more
//! zones whose layout depends on a setting the superblock may not record, so such arrays
//! are refused.

/// Where array chunk `chunk` is: (slot, chunk index on that member).
pub fn locate(chunk: u64, members: u64) -> (usize, u64) {
    ((chunk % members) as usize, chunk / members)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_robin() {
        assert_eq!(super::locate(0, 3), (0, 0));
        assert_eq!(super::locate(4, 3), (1, 1));
    }
}

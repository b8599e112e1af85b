//! The anti-forensic splitter's merge (LUKS1 spec §2.4, `AF_merge` in cryptsetup): a key
//! stored as `stripes` blocks that each must be read to recover it.

use super::hash::Hash;

/// Recovers the `key_size`-byte key from `material`, its `stripes` blocks of `key_size`
/// bytes. `material` must hold at least `key_size * stripes` bytes (the header parsers
/// check it against the keyslot area).
pub fn merge(material: &[u8], key_size: usize, stripes: usize, hash: Hash) -> Vec<u8> {
    let mut block = vec![0u8; key_size];
    let mut stripe_blocks = material.chunks_exact(key_size).take(stripes);
    for _ in 1..stripes {
        if let Some(stripe) = stripe_blocks.next() {
            xor_into(&mut block, stripe);
        }
        diffuse(&mut block, hash);
    }
    if let Some(last) = stripe_blocks.next() {
        xor_into(&mut block, last);
    }
    block
}

fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

/// Replaces each digest-sized piece of `block` (the last one possibly shorter) with the hash
/// of its big-endian index followed by the piece.
fn diffuse(block: &mut [u8], hash: Hash) {
    for (i, piece) in block.chunks_mut(hash.output_len()).enumerate() {
        let index = (i as u32).to_be_bytes();
        let d = hash.digest(&[&index, piece]);
        let n = piece.len();
        piece.copy_from_slice(&d[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The splitter itself (cryptsetup's `AF_split`), to check that merge inverts it.
    fn split(key: &[u8], stripes: usize, hash: Hash, random: &[u8]) -> Vec<u8> {
        let n = key.len();
        let mut out = random[..n * (stripes - 1)].to_vec();
        let mut block = vec![0u8; n];
        for stripe in out.chunks(n) {
            xor_into(&mut block, stripe);
            diffuse(&mut block, hash);
        }
        let last: Vec<u8> = block.iter().zip(key).map(|(b, k)| b ^ k).collect();
        out.extend(last);
        out
    }

    #[test]
    fn merge_inverts_split() {
        let random: Vec<u8> = (0..64 * 40).map(|i| (i * 7 + 3) as u8).collect();
        for (hash, key_size) in [(Hash::Sha1, 32), (Hash::Sha256, 64), (Hash::Sha512, 48)] {
            let key: Vec<u8> = (0..key_size as u8).collect();
            let material = split(&key, 40, hash, &random);
            assert_eq!(merge(&material, key_size, 40, hash), key);
            // One changed bit anywhere loses the key.
            let mut damaged = material.clone();
            damaged[5] ^= 1;
            assert_ne!(merge(&damaged, key_size, 40, hash), key);
        }
    }
}

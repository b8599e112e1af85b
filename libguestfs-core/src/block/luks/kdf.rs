//! Key derivation: a keyslot's passphrase turned into the key that decrypts its area
//! (PBKDF2 in LUKS1 and LUKS2, Argon2i and Argon2id in LUKS2). The cost comes from the
//! header, so it is bounded here: a hostile header cannot make the tool run for hours or
//! allocate more than [`MAX_ARGON2_MEMORY_KIB`].

use super::hash::Hash;
use super::LuksError;

/// The most PBKDF2 iterations accepted: about a minute of SHA-256 on a slow CPU, far above
/// what cryptsetup's benchmark picks (2 s of it on the machine that made the header).
pub const MAX_PBKDF2_ITERATIONS: u32 = 50_000_000;

/// The most Argon2 memory accepted, 4 GiB (cryptsetup's own ceiling).
pub const MAX_ARGON2_MEMORY_KIB: u32 = 4 * 1024 * 1024;

/// The most Argon2 passes accepted (cryptsetup's benchmark stays in the low tens).
pub const MAX_ARGON2_TIME: u32 = 1_000;

/// The most Argon2 lanes accepted (cryptsetup uses at most 4).
pub const MAX_ARGON2_LANES: u32 = 64;

/// Argon2's two variants that LUKS2 uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argon2Variant {
    Argon2i,
    Argon2id,
}

/// A keyslot's key derivation and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kdf {
    Pbkdf2 {
        hash: Hash,
        iterations: u32,
        salt: Vec<u8>,
    },
    Argon2 {
        variant: Argon2Variant,
        /// Passes.
        time: u32,
        memory_kib: u32,
        lanes: u32,
        salt: Vec<u8>,
    },
}

impl Kdf {
    /// Refuses costs beyond the bounds above (and ones Argon2 cannot take).
    pub fn check(&self) -> Result<(), LuksError> {
        match self {
            Kdf::Pbkdf2 { iterations, .. } => {
                if *iterations == 0 || *iterations > MAX_PBKDF2_ITERATIONS {
                    return Err(LuksError::corrupt(format!(
                        "PBKDF2 iteration count {} is outside 1–{}",
                        iterations, MAX_PBKDF2_ITERATIONS
                    )));
                }
            }
            Kdf::Argon2 {
                time,
                memory_kib,
                lanes,
                salt,
                ..
            } => {
                if *time == 0 || *time > MAX_ARGON2_TIME {
                    return Err(LuksError::corrupt(format!(
                        "Argon2 time cost {} is outside 1–{}",
                        time, MAX_ARGON2_TIME
                    )));
                }
                if *lanes == 0 || *lanes > MAX_ARGON2_LANES {
                    return Err(LuksError::corrupt(format!(
                        "Argon2 parallelism {} is outside 1–{}",
                        lanes, MAX_ARGON2_LANES
                    )));
                }
                if *memory_kib < 8 * lanes || *memory_kib > MAX_ARGON2_MEMORY_KIB {
                    return Err(LuksError::corrupt(format!(
                        "Argon2 memory cost {} KiB is outside {}–{} KiB",
                        memory_kib,
                        8 * lanes,
                        MAX_ARGON2_MEMORY_KIB
                    )));
                }
                if salt.len() < argon2::MIN_SALT_LEN {
                    return Err(LuksError::corrupt("Argon2 salt is too short"));
                }
            }
        }
        Ok(())
    }

    /// Derives `out.len()` bytes from `passphrase`.
    pub fn derive(&self, passphrase: &[u8], out: &mut [u8]) -> Result<(), LuksError> {
        self.check()?;
        match self {
            Kdf::Pbkdf2 {
                hash,
                iterations,
                salt,
            } => hash.pbkdf2(passphrase, salt, *iterations, out),
            Kdf::Argon2 {
                variant,
                time,
                memory_kib,
                lanes,
                salt,
            } => {
                let algorithm = match variant {
                    Argon2Variant::Argon2i => argon2::Algorithm::Argon2i,
                    Argon2Variant::Argon2id => argon2::Algorithm::Argon2id,
                };
                let params = argon2::Params::new(*memory_kib, *time, *lanes, Some(out.len()))
                    .map_err(|e| LuksError::corrupt(format!("Argon2 parameters: {}", e)))?;
                argon2::Argon2::new(algorithm, argon2::Version::V0x13, params)
                    .hash_password_into(passphrase, salt, out)
                    .map_err(|e| LuksError::corrupt(format!("Argon2: {}", e)))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argon2(time: u32, memory_kib: u32, lanes: u32) -> Kdf {
        Kdf::Argon2 {
            variant: Argon2Variant::Argon2id,
            time,
            memory_kib,
            lanes,
            salt: vec![7; 32],
        }
    }

    #[test]
    fn absurd_costs_are_refused_before_any_work() {
        for kdf in [
            argon2(4, MAX_ARGON2_MEMORY_KIB + 1, 1),
            argon2(MAX_ARGON2_TIME + 1, 1024, 1),
            argon2(4, 1024, 0),
            argon2(4, 4, 1),
            Kdf::Pbkdf2 {
                hash: Hash::Sha256,
                iterations: u32::MAX,
                salt: vec![1; 32],
            },
            Kdf::Pbkdf2 {
                hash: Hash::Sha256,
                iterations: 0,
                salt: vec![1; 32],
            },
        ] {
            let e = kdf.derive(b"x", &mut [0u8; 32]).unwrap_err();
            assert!(matches!(e, LuksError::Corrupt(_)), "{:?}", kdf);
        }
    }

    #[test]
    fn argon2_variants_differ() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        argon2(1, 64, 1).derive(b"pw", &mut a).unwrap();
        Kdf::Argon2 {
            variant: Argon2Variant::Argon2i,
            time: 1,
            memory_kib: 64,
            lanes: 1,
            salt: vec![7; 32],
        }
        .derive(b"pw", &mut b)
        .unwrap();
        assert_ne!(a, b);
    }
}

//! Sector ciphers in dm-crypt's `cipher-chainmode-ivmode` notation: AES in XTS or CBC mode
//! with the `plain`, `plain64` or `essiv:sha256` IV. Each sector is decrypted on its own with
//! an IV made from its number.

use super::LuksError;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockCipher, BlockDecrypt, BlockEncrypt, KeyInit};
use aes::{Aes128, Aes192, Aes256};
use sha2::Digest;
use xts_mode::Xts128;

/// How the IV of a sector is made from its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IvMode {
    /// The low 32 bits, little-endian.
    Plain,
    /// The 64 bits, little-endian.
    Plain64,
    /// `plain64` encrypted with the SHA-256 of the key (ESSIV).
    EssivSha256,
}

/// The chaining mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    Xts,
    Cbc,
}

/// A parsed cipher specification such as `aes-xts-plain64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipherSpec {
    chain: Chain,
    iv: IvMode,
}

impl CipherSpec {
    /// Parses `aes-xts-plain64` and friends; an error names what this reader lacks.
    pub fn parse(spec: &str) -> Result<CipherSpec, LuksError> {
        let unsupported = || {
            LuksError::Unsupported(format!(
                "cipher ‘{}’ (it decrypts aes-xts-plain64, aes-xts-plain, aes-cbc-essiv:sha256, aes-cbc-plain64 and aes-cbc-plain)",
                spec
            ))
        };
        let rest = spec.strip_prefix("aes-").ok_or_else(unsupported)?;
        let (chain, iv) = rest.split_once('-').ok_or_else(unsupported)?;
        let chain = match chain {
            "xts" => Chain::Xts,
            "cbc" => Chain::Cbc,
            _ => return Err(unsupported()),
        };
        let iv = match iv {
            "plain" => IvMode::Plain,
            "plain64" => IvMode::Plain64,
            "essiv:sha256" if chain == Chain::Cbc => IvMode::EssivSha256,
            _ => return Err(unsupported()),
        };
        Ok(CipherSpec { chain, iv })
    }

    /// The same as LUKS1 stores it: cipher name and mode apart.
    pub fn parse_luks1(name: &str, mode: &str) -> Result<CipherSpec, LuksError> {
        CipherSpec::parse(&format!("{}-{}", name, mode))
    }

    /// Whether a key of `len` bytes fits this cipher (two AES keys for XTS).
    pub fn check_key_len(self, len: usize) -> Result<(), LuksError> {
        let aes_len = match self.chain {
            Chain::Xts if len.is_multiple_of(2) => len / 2,
            Chain::Xts => 0,
            Chain::Cbc => len,
        };
        if matches!(aes_len, 16 | 24 | 32) {
            Ok(())
        } else {
            Err(LuksError::corrupt(format!(
                "a {}-bit key does not fit the cipher",
                len * 8
            )))
        }
    }

    /// The cipher keyed with `key`.
    pub fn with_key(self, key: &[u8]) -> Result<SectorCipher, LuksError> {
        self.check_key_len(key.len())?;
        let essiv = match self.iv {
            IvMode::EssivSha256 => Some(Aes256::new(&sha2::Sha256::digest(key))),
            _ => None,
        };
        let iv = IvGen {
            mode: self.iv,
            essiv,
        };
        let inner: Box<dyn DecryptSector> = match self.chain {
            Chain::Xts => {
                let (k1, k2) = key.split_at(key.len() / 2);
                match k1.len() {
                    16 => Box::new(xts::<Aes128>(k1, k2)),
                    24 => Box::new(xts::<Aes192>(k1, k2)),
                    _ => Box::new(xts::<Aes256>(k1, k2)),
                }
            }
            Chain::Cbc => match key.len() {
                16 => Box::new(Cbc(Aes128::new(GenericArray::from_slice(key)))),
                24 => Box::new(Cbc(Aes192::new(GenericArray::from_slice(key)))),
                _ => Box::new(Cbc(Aes256::new(GenericArray::from_slice(key)))),
            },
        };
        Ok(SectorCipher { inner, iv })
    }
}

fn xts<C: BlockCipher + BlockEncrypt + BlockDecrypt + KeyInit>(k1: &[u8], k2: &[u8]) -> Xts<C> {
    Xts(Xts128::new(
        C::new(GenericArray::from_slice(k1)),
        C::new(GenericArray::from_slice(k2)),
    ))
}

/// Makes the IV of a sector.
struct IvGen {
    mode: IvMode,
    essiv: Option<Aes256>,
}

impl IvGen {
    fn iv(&self, sector: u64) -> [u8; 16] {
        let mut iv = [0u8; 16];
        match self.mode {
            IvMode::Plain => iv[..4].copy_from_slice(&(sector as u32).to_le_bytes()),
            IvMode::Plain64 | IvMode::EssivSha256 => iv[..8].copy_from_slice(&sector.to_le_bytes()),
        }
        if let Some(essiv) = &self.essiv {
            essiv.encrypt_block(GenericArray::from_mut_slice(&mut iv));
        }
        iv
    }
}

/// One chaining mode over one AES key size.
trait DecryptSector: Send + Sync {
    /// Decrypts one sector (a multiple of 16 bytes) in place.
    fn decrypt(&self, sector: &mut [u8], iv: [u8; 16]);
}

struct Xts<C: BlockCipher + BlockEncrypt + BlockDecrypt>(Xts128<C>);

impl<C> DecryptSector for Xts<C>
where
    C: BlockCipher + BlockEncrypt + BlockDecrypt + Send + Sync,
{
    fn decrypt(&self, sector: &mut [u8], iv: [u8; 16]) {
        self.0.decrypt_sector(sector, iv);
    }
}

struct Cbc<C>(C);

impl<C: BlockDecrypt + Send + Sync> DecryptSector for Cbc<C> {
    fn decrypt(&self, sector: &mut [u8], iv: [u8; 16]) {
        // Backwards, so that the previous block is still ciphertext when it is XORed in.
        let blocks = sector.len() / 16;
        for i in (0..blocks).rev() {
            let prev: [u8; 16] = if i == 0 {
                iv
            } else {
                let mut p = [0u8; 16];
                p.copy_from_slice(&sector[(i - 1) * 16..i * 16]);
                p
            };
            let block = &mut sector[i * 16..(i + 1) * 16];
            self.0.decrypt_block(GenericArray::from_mut_slice(block));
            for (b, p) in block.iter_mut().zip(prev) {
                *b ^= p;
            }
        }
    }
}

/// A keyed sector cipher.
pub struct SectorCipher {
    inner: Box<dyn DecryptSector>,
    iv: IvGen,
}

impl SectorCipher {
    /// Decrypts `sector` (a whole number of 16-byte blocks), whose IV is made from
    /// `iv_sector`.
    pub fn decrypt(&self, sector: &mut [u8], iv_sector: u64) {
        self.inner.decrypt(sector, self.iv.iv(iv_sector));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert!(CipherSpec::parse("aes-xts-plain64").is_ok());
        assert!(CipherSpec::parse("aes-cbc-essiv:sha256").is_ok());
        assert!(CipherSpec::parse("aes-cbc-plain").is_ok());
        for bad in [
            "serpent-xts-plain64",
            "aes-xts-essiv:sha256",
            "aes-ecb",
            "aes",
            "",
        ] {
            assert!(
                matches!(CipherSpec::parse(bad), Err(LuksError::Unsupported(_))),
                "{}",
                bad
            );
        }
        let xts = CipherSpec::parse("aes-xts-plain64").unwrap();
        assert!(xts.check_key_len(64).is_ok());
        assert!(xts.check_key_len(32).is_ok());
        assert!(xts.check_key_len(16).is_err());
        assert!(xts.with_key(&[0u8; 33]).is_err());
    }

    /// IEEE 1619 XTS-AES-128 vector 4 (the first 32 bytes of sector 0).
    #[test]
    fn xts_plain64_matches_ieee_1619() {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(&[
            0x27, 0x18, 0x28, 0x18, 0x28, 0x45, 0x90, 0x45, 0x23, 0x53, 0x60, 0x28, 0x74, 0x71,
            0x35, 0x26,
        ]);
        key[16..].copy_from_slice(&[
            0x31, 0x41, 0x59, 0x26, 0x53, 0x58, 0x97, 0x93, 0x23, 0x84, 0x62, 0x64, 0x33, 0x83,
            0x27, 0x95,
        ]);
        let cipher = CipherSpec::parse("aes-xts-plain64")
            .unwrap()
            .with_key(&key)
            .unwrap();
        // Vector 4's ciphertext, first two blocks; the plaintext is 00 01 02 … .
        let mut sector = vec![0u8; 512];
        let head = [
            0x27, 0xa7, 0x47, 0x9b, 0xef, 0xa1, 0xd4, 0x76, 0x48, 0x9f, 0x30, 0x8c, 0xd4, 0xcf,
            0xa6, 0xe2, 0xa9, 0x6e, 0x4b, 0xbe, 0x32, 0x08, 0xff, 0x25, 0x28, 0x7d, 0xd3, 0x81,
            0x96, 0x16, 0xe8, 0x9c,
        ];
        sector[..32].copy_from_slice(&head);
        // XTS blocks are independent except for the tweak: the first two decrypt alone.
        cipher.decrypt(&mut sector, 0);
        let expect: Vec<u8> = (0..32u8).collect();
        assert_eq!(&sector[..32], &expect[..]);
    }
}

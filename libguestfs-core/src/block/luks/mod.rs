//! LUKS1 and LUKS2 encrypted volumes, opened read-only in process with a passphrase.
//!
//! [`Volume::read`] parses either header version into one description (keyslots, the
//! volume-key digests and the data segment); [`Volume::unlock`] derives each keyslot's key
//! from the passphrase, decrypts its area, merges the anti-forensic stripes and checks the
//! result against the digest; [`Volume::open_payload`] gives the decrypted data as a
//! [`BlockDevice`]. Headers this reader does not handle (other ciphers or KDFs, integrity,
//! a reencryption in progress) are [`LuksError::Unsupported`], so that the caller can leave
//! them to the appliance; damaged or hostile ones are [`LuksError::Corrupt`].

mod af;
mod cipher;
mod device;
mod hash;
mod header1;
mod header2;
mod kdf;

pub use cipher::CipherSpec;
pub use device::DecryptedDevice;
pub use hash::Hash;
pub use kdf::{Argon2Variant, Kdf};

use super::{read_vec, BlockDevice, Device};
use crate::error::Error;
use std::fmt;
use std::io;
use std::sync::Arc;

/// The first six bytes of a LUKS1 header and of a LUKS2 primary header.
pub const MAGIC: [u8; 6] = *b"LUKS\xba\xbe";

/// The longest key (volume key or keyslot key) accepted, in bytes: 1024 bits, twice what
/// cryptsetup's largest (AES-256-XTS) uses.
pub const MAX_KEY_BYTES: usize = 128;

/// The most anti-forensic stripes accepted (cryptsetup always writes 4000).
pub const MAX_AF_STRIPES: usize = 65_536;

/// Why a LUKS volume cannot be opened.
#[derive(Debug)]
pub enum LuksError {
    /// The header is damaged or makes no sense: what is wrong with it.
    Corrupt(String),
    /// A well-formed volume using something this reader does not implement.
    Unsupported(String),
    /// No keyslot opens with the passphrase.
    WrongPassphrase,
    /// Reading the device failed.
    Io(io::Error),
}

impl LuksError {
    pub(crate) fn corrupt(what: impl Into<String>) -> LuksError {
        LuksError::Corrupt(what.into())
    }
}

impl fmt::Display for LuksError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            LuksError::Corrupt(what) => write!(f, "invalid LUKS header: {}", what),
            LuksError::Unsupported(what) => write!(
                f,
                "LUKS volume with {}: not read by the native backend (LIBGUESTFS_BACKEND=direct opens it)",
                what
            ),
            // cryptsetup's words, which libguestfs 1.48 passes on.
            LuksError::WrongPassphrase => write!(f, "No key available with this passphrase."),
            LuksError::Io(e) => write!(f, "{}", e),
        }
    }
}

impl From<io::Error> for LuksError {
    fn from(e: io::Error) -> LuksError {
        LuksError::Io(e)
    }
}

impl From<LuksError> for Error {
    fn from(e: LuksError) -> Error {
        let errno = match &e {
            LuksError::Unsupported(_) => libc::ENOTSUP,
            LuksError::Io(io) => io.raw_os_error().unwrap_or(libc::EIO),
            LuksError::Corrupt(_) | LuksError::WrongPassphrase => libc::EINVAL,
        };
        Error::new(errno, e.to_string())
    }
}

/// Fills its buffer with the key a keyslot's KDF derives (from a passphrase).
pub type DeriveKey<'a> = dyn FnMut(&Kdf, &mut [u8]) -> Result<(), LuksError> + 'a;

/// One way in: a passphrase-protected copy of the volume key.
#[derive(Debug, Clone)]
pub struct Keyslot {
    /// The keyslot number (LUKS1: 0–7; LUKS2: the JSON key).
    pub id: u32,
    /// The volume key's length in bytes.
    pub key_size: usize,
    pub kdf: Kdf,
    pub af_stripes: usize,
    pub af_hash: Hash,
    /// Where the encrypted stripes are, in bytes from the start of the device.
    pub area_offset: u64,
    pub area_size: u64,
    pub area_cipher: CipherSpec,
    /// The length of the key the KDF derives to decrypt the area.
    pub area_key_size: usize,
}

/// A PBKDF2 digest of the volume key, which tells a right key from a wrong one.
#[derive(Debug, Clone)]
pub struct VolumeKeyDigest {
    /// The keyslots whose volume key it checks.
    pub keyslots: Vec<u32>,
    pub hash: Hash,
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub digest: Vec<u8>,
}

impl VolumeKeyDigest {
    /// The digest as a key derivation, whose cost is bounded like a keyslot's.
    fn kdf(&self) -> Kdf {
        Kdf::Pbkdf2 {
            hash: self.hash,
            iterations: self.iterations,
            salt: self.salt.clone(),
        }
    }

    fn matches(&self, key: &[u8]) -> Result<bool, LuksError> {
        let mut d = vec![0u8; self.digest.len()];
        self.kdf().derive(key, &mut d)?;
        Ok(d == self.digest)
    }
}

/// The encrypted data.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Its start, in bytes from the start of the device.
    pub offset: u64,
    /// Its length in bytes; None: to the end of the device.
    pub size: Option<u64>,
    pub cipher: CipherSpec,
    /// The encryption unit: 512 bytes, or up to 4096 in LUKS2.
    pub sector_size: u64,
    /// Added to the IV's sector number (in 512-byte units).
    pub iv_tweak: u64,
}

/// A LUKS volume as its header describes it.
#[derive(Debug, Clone)]
pub struct Volume {
    /// 1 or 2.
    pub version: u16,
    pub uuid: String,
    /// Keyslots in the order they are tried.
    pub keyslots: Vec<Keyslot>,
    pub digests: Vec<VolumeKeyDigest>,
    pub segment: Segment,
}

impl Volume {
    /// Reads and checks the header of `dev`.
    pub fn read(dev: &dyn BlockDevice) -> Result<Volume, LuksError> {
        let first = read_vec(dev, 0, 8).map_err(|_| LuksError::corrupt("device too short"))?;
        let volume = if first[..6] == MAGIC && first[6..8] == [0, 1] {
            header1::read(dev)?
        } else {
            header2::read(dev)?
        };
        volume.check(dev.size())?;
        Ok(volume)
    }

    /// Checks that every area lies inside a device of `size` bytes and holds what is read
    /// from it, so that nothing read from the header can ask for more memory than that, and
    /// that every key derivation's cost is bounded.
    fn check(&self, size: u64) -> Result<(), LuksError> {
        let seg = &self.segment;
        if seg.offset > size {
            return Err(LuksError::corrupt(format!(
                "the data starts at byte {}, past the end of the device ({} bytes)",
                seg.offset, size
            )));
        }
        if let Some(len) = seg.size {
            if seg.offset.checked_add(len).is_none_or(|end| end > size) {
                return Err(LuksError::corrupt(format!(
                    "the data segment ({} bytes at {}) extends past the end of the device ({} bytes)",
                    len, seg.offset, size
                )));
            }
        }
        for d in &self.digests {
            d.kdf().check()?;
        }
        for ks in &self.keyslots {
            ks.kdf.check()?;
            let material = ks.material_len();
            let end = ks.area_offset.checked_add(ks.area_size);
            if material > ks.area_size || end.is_none_or(|e| e > size) {
                return Err(LuksError::corrupt(format!(
                    "keyslot {}: its area ({} bytes at {}, {} needed) is outside the device ({} bytes)",
                    ks.id, ks.area_size, ks.area_offset, material, size
                )));
            }
        }
        Ok(())
    }

    /// The LUKS2 volume that the JSON metadata `json` describes on a device of `size`
    /// bytes, checked as [`read`](Self::read) checks it (the binary header aside: fuzzing
    /// reaches the JSON without forging checksums).
    pub fn from_luks2_json(json: &[u8], uuid: String, size: u64) -> Result<Volume, LuksError> {
        let volume = header2::from_json(json, uuid)?;
        volume.check(size)?;
        Ok(volume)
    }

    /// The volume key, from the first keyslot that `passphrase` opens.
    pub fn unlock(&self, dev: &dyn BlockDevice, passphrase: &[u8]) -> Result<Vec<u8>, LuksError> {
        self.unlock_with(dev, &mut |kdf, out| kdf.derive(passphrase, out))
    }

    /// [`unlock`](Self::unlock) with the keyslot keys from `derive` (the KDF, or a stand-in
    /// where its cost is not the point, as in fuzzing).
    pub fn unlock_with(
        &self,
        dev: &dyn BlockDevice,
        derive: &mut DeriveKey,
    ) -> Result<Vec<u8>, LuksError> {
        for ks in &self.keyslots {
            let mut area_key = vec![0u8; ks.area_key_size];
            derive(&ks.kdf, &mut area_key)?;
            let key = ks.unlock(dev, &area_key)?;
            if self.key_is_right(ks.id, &key)? {
                return Ok(key);
            }
        }
        Err(LuksError::WrongPassphrase)
    }

    /// Whether `key`, recovered from keyslot `id`, is the volume key.
    fn key_is_right(&self, id: u32, key: &[u8]) -> Result<bool, LuksError> {
        for d in self.digests.iter().filter(|d| d.keyslots.contains(&id)) {
            if d.matches(key)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The decrypted data of `dev` with the volume key `key` (from [`unlock`](Self::unlock)).
    pub fn open_payload(&self, dev: Device, key: &[u8]) -> Result<Device, LuksError> {
        let seg = &self.segment;
        let cipher = seg.cipher.with_key(key)?;
        let available = dev.size().saturating_sub(seg.offset);
        let len = seg.size.unwrap_or(available);
        let len = len - len % seg.sector_size;
        Ok(Arc::new(DecryptedDevice {
            encrypted: dev,
            offset: seg.offset,
            len,
            cipher,
            sector_size: seg.sector_size,
            iv_tweak: seg.iv_tweak,
        }))
    }
}

impl Keyslot {
    /// The bytes of encrypted stripes, rounded up to whole 512-byte sectors.
    fn material_len(&self) -> u64 {
        let len = (self.key_size * self.af_stripes) as u64;
        len.div_ceil(512) * 512
    }

    /// The key this keyslot yields with the area key `area_key`, derived from a passphrase
    /// (right or wrong: the digest tells).
    fn unlock(&self, dev: &dyn BlockDevice, area_key: &[u8]) -> Result<Vec<u8>, LuksError> {
        let cipher = self.area_cipher.with_key(area_key)?;
        let mut material = read_vec(dev, self.area_offset, self.material_len() as usize)?;
        for (i, sector) in material.chunks_mut(512).enumerate() {
            cipher.decrypt(sector, i as u64);
        }
        Ok(af::merge(
            &material,
            self.key_size,
            self.af_stripes,
            self.af_hash,
        ))
    }
}

/// A NUL-terminated string field of a header.
fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Checks a key length read from a header.
fn check_key_size(what: &str, len: u64) -> Result<usize, LuksError> {
    check_count(what, "key size in bytes", len, MAX_KEY_BYTES)
}

/// Checks a stripe count read from a header.
fn check_stripes(what: &str, stripes: u64) -> Result<usize, LuksError> {
    check_count(what, "anti-forensic stripe count", stripes, MAX_AF_STRIPES)
}

/// Checks that a `quantity` read from a header is between 1 and `max`.
fn check_count(what: &str, quantity: &str, value: u64, max: usize) -> Result<usize, LuksError> {
    if value == 0 || value > max as u64 {
        return Err(LuksError::corrupt(format!(
            "{}: {} of {} is outside 1–{}",
            what, quantity, value, max
        )));
    }
    Ok(value as usize)
}

/// A hash name read from a header.
fn parse_hash(what: &str, name: &str) -> Result<Hash, LuksError> {
    Hash::parse(name).ok_or_else(|| LuksError::Unsupported(format!("{} hash ‘{}’", what, name)))
}

/// Opens `dev` with `passphrase`: its decrypted data.
pub fn open(dev: Device, passphrase: &[u8]) -> Result<Device, LuksError> {
    let volume = Volume::read(dev.as_ref())?;
    let key = volume.unlock(dev.as_ref(), passphrase)?;
    volume.open_payload(dev, &key)
}

//! The LUKS1 header: a 592-byte big-endian structure with eight fixed keyslots (LUKS1 on-disk
//! format specification, version 1.2.3).

use super::LuksError;
use super::{c_string, check_key_size, check_stripes, parse_hash, CipherSpec, Kdf, Keyslot};
use super::{Segment, Volume, VolumeKeyDigest};
use crate::block::{read_array, BlockDevice};
use crate::bytes::Fixed;

const HEADER_LEN: usize = 592;
const KEYSLOTS: usize = 8;
const KEYSLOT_LEN: usize = 48;
const KEYSLOT_TABLE: usize = 208;
/// A keyslot in use.
const KEY_ENABLED: u32 = 0x00AC_71F3;
/// LUKS1's digest of the master key is 20 bytes, whatever the hash.
const DIGEST_LEN: usize = 20;
const SECTOR: u64 = 512;

pub fn read(dev: &dyn BlockDevice) -> Result<Volume, LuksError> {
    let h = read_array::<HEADER_LEN>(dev, 0)
        .ok_or_else(|| LuksError::corrupt("LUKS1 header is truncated"))?;
    let fields = Fixed::from(&h);
    let cipher_name = c_string(&h[8..40]);
    let cipher_mode = c_string(&h[40..72]);
    let hash_name = c_string(&h[72..104]);
    let payload_offset = u64::from(fields.be32::<104>()) * SECTOR;
    let key_size = check_key_size("LUKS1 header", u64::from(fields.be32::<108>()))?;
    let hash = parse_hash("LUKS1", &hash_name)?;
    let cipher = CipherSpec::parse_luks1(&cipher_name, &cipher_mode)?;
    cipher.check_key_len(key_size)?;
    let digest = VolumeKeyDigest {
        keyslots: (0..KEYSLOTS as u32).collect(),
        hash,
        iterations: fields.be32::<164>(),
        salt: h[132..164].to_vec(),
        digest: h[112..112 + DIGEST_LEN].to_vec(),
    };
    let mut keyslots = Vec::new();
    for i in 0..KEYSLOTS {
        // The eight keyslots end at the end of the header.
        let k = Fixed::<KEYSLOT_LEN>::at(&h, KEYSLOT_TABLE + i * KEYSLOT_LEN)
            .ok_or_else(|| LuksError::corrupt(format!("keyslot {} lies past the header", i)))?;
        if k.be32::<0>() != KEY_ENABLED {
            continue;
        }
        let what = format!("keyslot {}", i);
        let af_stripes = check_stripes(&what, u64::from(k.be32::<44>()))?;
        let area_offset = u64::from(k.be32::<40>()) * SECTOR;
        let ks = Keyslot {
            id: i as u32,
            key_size,
            kdf: Kdf::Pbkdf2 {
                hash,
                iterations: k.be32::<4>(),
                salt: k.array::<8, 32>().to_vec(),
            },
            af_stripes,
            af_hash: hash,
            area_offset,
            area_size: 0,
            area_cipher: cipher,
            area_key_size: key_size,
        };
        let area_size = ks.material_len();
        // The stripes lie between the header and the data.
        if area_offset < HEADER_LEN as u64 || area_offset + area_size > payload_offset {
            return Err(LuksError::corrupt(format!(
                "{}: its key material ({} bytes at {}) is not between the header and the data (at {})",
                what, area_size, area_offset, payload_offset
            )));
        }
        keyslots.push(Keyslot { area_size, ..ks });
    }
    Ok(Volume {
        version: 1,
        uuid: c_string(&h[168..208]),
        keyslots,
        digests: vec![digest],
        segment: Segment {
            offset: payload_offset,
            size: None,
            cipher,
            sector_size: SECTOR,
            iv_tweak: 0,
        },
    })
}

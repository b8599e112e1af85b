//! The LUKS2 header: a 4096-byte binary header followed by JSON metadata, stored twice
//! (primary at 0, secondary right after it); the copy with a valid checksum and the highest
//! sequence number wins, as in cryptsetup. Only the metadata this reader needs is parsed;
//! unknown fields are ignored, unknown types refused.

use super::{check_key_size, check_stripes, parse_hash, Argon2Variant, CipherSpec, Kdf, Keyslot};
use super::{Hash, LuksError, Segment, Volume, VolumeKeyDigest, MAGIC};
use crate::block::{read_array, read_vec, BlockDevice};
use crate::bytes::Fixed;
use base64::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The secondary header's magic.
const MAGIC_SECONDARY: [u8; 6] = *b"SKUL\xba\xbe";
const BINARY_LEN: usize = 4096;
/// The start of the primary binary header: magic, version and header size.
const PREFIX_LEN: usize = 16;
/// Where the secondary header may be: right after a primary of each allowed size.
const HEADER_SIZES: [u64; 9] = [
    0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000,
];
/// The checksum field.
const CSUM: std::ops::Range<usize> = 448..512;
/// LUKS2 has at most 32 keyslots.
const MAX_KEYSLOTS: usize = 32;

/// One copy of the header: its sequence number and metadata.
struct Copy {
    seqid: u64,
    json: Vec<u8>,
    uuid: String,
}

/// Reads the copy at `offset` with the given magic, or says why it is not valid.
fn read_copy(dev: &dyn BlockDevice, offset: u64, magic: &[u8; 6]) -> Result<Copy, LuksError> {
    let bin = read_array::<BINARY_LEN>(dev, offset)
        .ok_or_else(|| LuksError::corrupt(format!("LUKS2 header at {} is truncated", offset)))?;
    let fields = Fixed::from(&bin);
    if bin[..6] != magic[..] || fields.be16::<6>() != 2 {
        return Err(LuksError::corrupt(format!("no LUKS2 header at {}", offset)));
    }
    let hdr_size = fields.be64::<8>();
    let hdr_offset = fields.be64::<256>();
    if !HEADER_SIZES.contains(&hdr_size) || hdr_offset != offset {
        return Err(LuksError::corrupt(format!(
            "LUKS2 header at {}: size {} or offset {} is invalid",
            offset, hdr_size, hdr_offset
        )));
    }
    let mut all = read_vec(dev, offset, hdr_size as usize)
        .map_err(|_| LuksError::corrupt(format!("LUKS2 header at {} is truncated", offset)))?;
    let alg = super::c_string(&bin[72..104]);
    let hash = Hash::parse(&alg)
        .ok_or_else(|| LuksError::Unsupported(format!("header checksum ‘{}’", alg)))?;
    let stored = all[CSUM].to_vec();
    all[CSUM].fill(0);
    let computed = hash.digest(&[&all]);
    if stored[..computed.len()] != computed[..] {
        return Err(LuksError::corrupt(format!(
            "LUKS2 header at {}: checksum mismatch",
            offset
        )));
    }
    let json = &all[BINARY_LEN..];
    let end = json.iter().position(|&c| c == 0).unwrap_or(json.len());
    Ok(Copy {
        seqid: fields.be64::<16>(),
        json: json[..end].to_vec(),
        uuid: super::c_string(&bin[168..208]),
    })
}

pub fn read(dev: &dyn BlockDevice) -> Result<Volume, LuksError> {
    let primary = read_copy(dev, 0, &MAGIC);
    // A primary header names the secondary's offset (its size), even when it is damaged.
    let primary_size = read_array::<PREFIX_LEN>(dev, 0)
        .filter(|b| b[..6] == MAGIC)
        .map(|b| Fixed::from(&b).be64::<8>())
        .filter(|size| HEADER_SIZES.contains(size));
    let secondary_at: Vec<u64> = match primary_size {
        Some(size) => vec![size],
        None => HEADER_SIZES.to_vec(),
    };
    let secondary = secondary_at
        .iter()
        .map(|&off| read_copy(dev, off, &MAGIC_SECONDARY))
        .find(|c| c.is_ok());
    let best = match (primary, secondary) {
        (Ok(p), Some(Ok(s))) if s.seqid > p.seqid => s,
        (Ok(p), _) => p,
        (Err(_), Some(Ok(s))) => s,
        (Err(e), _) => return Err(e),
    };
    from_json(&best.json, best.uuid)
}

/// The volume the JSON metadata describes.
pub fn from_json(json: &[u8], uuid: String) -> Result<Volume, LuksError> {
    let meta: Metadata = serde_json::from_slice(json)
        .map_err(|e| LuksError::corrupt(format!("LUKS2 metadata: {}", e)))?;
    meta.volume(uuid)
}

#[derive(Deserialize)]
struct Metadata {
    keyslots: BTreeMap<String, JsonKeyslot>,
    segments: BTreeMap<String, JsonSegment>,
    digests: BTreeMap<String, JsonDigest>,
    config: JsonConfig,
}

#[derive(Deserialize)]
struct JsonKeyslot {
    #[serde(rename = "type")]
    kind: String,
    key_size: Option<u64>,
    af: Option<JsonAf>,
    area: Option<JsonArea>,
    kdf: Option<JsonKdf>,
    /// 0: ignored unless named; 1: normal; 2: tried first.
    priority: Option<u32>,
}

#[derive(Deserialize)]
struct JsonAf {
    #[serde(rename = "type")]
    kind: String,
    stripes: u64,
    hash: String,
}

#[derive(Deserialize)]
struct JsonArea {
    #[serde(rename = "type")]
    kind: String,
    offset: String,
    size: String,
    encryption: Option<String>,
    key_size: Option<u64>,
}

#[derive(Deserialize)]
struct JsonKdf {
    #[serde(rename = "type")]
    kind: String,
    hash: Option<String>,
    iterations: Option<u32>,
    time: Option<u32>,
    memory: Option<u32>,
    cpus: Option<u32>,
    salt: String,
}

#[derive(Deserialize)]
struct JsonSegment {
    #[serde(rename = "type")]
    kind: String,
    offset: String,
    size: String,
    iv_tweak: Option<String>,
    encryption: Option<String>,
    sector_size: Option<u64>,
    integrity: Option<serde_json::Value>,
    flags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct JsonDigest {
    #[serde(rename = "type")]
    kind: String,
    keyslots: Vec<String>,
    segments: Vec<String>,
    hash: Option<String>,
    iterations: Option<u32>,
    salt: Option<String>,
    digest: Option<String>,
}

#[derive(Deserialize)]
struct JsonConfig {
    requirements: Option<JsonRequirements>,
}

#[derive(Deserialize)]
struct JsonRequirements {
    mandatory: Option<Vec<String>>,
}

/// A decimal number stored as a JSON string (LUKS2's 64-bit sizes).
fn number(what: &str, s: &str) -> Result<u64, LuksError> {
    s.parse()
        .map_err(|_| LuksError::corrupt(format!("{}: ‘{}’ is not a number", what, s)))
}

fn base64(what: &str, s: &str) -> Result<Vec<u8>, LuksError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| LuksError::corrupt(format!("{}: invalid base64", what)))
}

fn required<T>(what: &str, field: &str, v: Option<T>) -> Result<T, LuksError> {
    v.ok_or_else(|| LuksError::corrupt(format!("{}: no {}", what, field)))
}

/// A keyslot id (`"0"`…`"31"`).
fn keyslot_id(s: &str) -> Result<u32, LuksError> {
    match s.parse::<u32>() {
        Ok(n) if (n as usize) < MAX_KEYSLOTS => Ok(n),
        _ => Err(LuksError::corrupt(format!("invalid keyslot id ‘{}’", s))),
    }
}

impl Metadata {
    fn volume(&self, uuid: String) -> Result<Volume, LuksError> {
        if let Some(req) = self
            .config
            .requirements
            .as_ref()
            .and_then(|r| r.mandatory.as_ref())
        {
            if !req.is_empty() {
                return Err(LuksError::Unsupported(format!(
                    "the requirements {}",
                    req.join(", ")
                )));
            }
        }
        let segment = self.segment()?;
        let mut keyslots = Vec::new();
        for (id, ks) in &self.keyslots {
            if let Some(k) = keyslot(keyslot_id(id)?, ks)? {
                keyslots.push((ks.priority.unwrap_or(1), k));
            }
        }
        // High priority first; the map's order (by id string) otherwise, stable.
        keyslots.sort_by_key(|(p, k)| (std::cmp::Reverse(*p), k.id));
        let keyslots = keyslots.into_iter().map(|(_, k)| k).collect();
        let mut digests = Vec::new();
        for (id, d) in &self.digests {
            let what = format!("digest {}", id);
            if d.kind != "pbkdf2" {
                return Err(LuksError::Unsupported(format!(
                    "{} of type ‘{}’",
                    what, d.kind
                )));
            }
            if !d.segments.iter().any(|s| s == "0") {
                continue;
            }
            let hash = required(&what, "hash", d.hash.as_deref())?;
            digests.push(VolumeKeyDigest {
                keyslots: d
                    .keyslots
                    .iter()
                    .map(|k| keyslot_id(k))
                    .collect::<Result<_, _>>()?,
                hash: parse_hash(&what, hash)?,
                iterations: required(&what, "iterations", d.iterations)?,
                salt: base64(&what, required(&what, "salt", d.salt.as_deref())?)?,
                digest: base64(&what, required(&what, "digest", d.digest.as_deref())?)?,
            });
        }
        Ok(Volume {
            version: 2,
            uuid,
            keyslots,
            digests,
            segment,
        })
    }

    /// The one data segment (several mean a reencryption is under way).
    fn segment(&self) -> Result<Segment, LuksError> {
        let mut segments = self.segments.iter();
        let (Some((id, s)), None) = (segments.next(), segments.next()) else {
            return Err(LuksError::Unsupported(format!(
                "{} data segments",
                self.segments.len()
            )));
        };
        let what = format!("segment {}", id);
        if s.kind != "crypt" {
            return Err(LuksError::Unsupported(format!("a {} segment", s.kind)));
        }
        if s.integrity.is_some() {
            return Err(LuksError::Unsupported("integrity protection".into()));
        }
        if let Some(flags) = s.flags.as_ref().filter(|f| !f.is_empty()) {
            return Err(LuksError::Unsupported(format!(
                "a segment flagged {}",
                flags.join(", ")
            )));
        }
        let encryption = required(&what, "encryption", s.encryption.as_deref())?;
        let sector_size = s.sector_size.unwrap_or(512);
        if !matches!(sector_size, 512 | 1024 | 2048 | 4096) {
            return Err(LuksError::corrupt(format!(
                "{}: sector size {}",
                what, sector_size
            )));
        }
        let offset = number(&what, &s.offset)?;
        if offset % 512 != 0 {
            return Err(LuksError::corrupt(format!(
                "{}: offset {} is not sector-aligned",
                what, offset
            )));
        }
        let size = match s.size.as_str() {
            "dynamic" => None,
            n => Some(number(&what, n)?),
        };
        Ok(Segment {
            offset,
            size,
            cipher: CipherSpec::parse(encryption)?,
            sector_size,
            iv_tweak: number(&what, s.iv_tweak.as_deref().unwrap_or("0"))?,
        })
    }
}

/// A `luks2` keyslot; None for a kind that holds no passphrase (`reencrypt`).
fn keyslot(id: u32, ks: &JsonKeyslot) -> Result<Option<Keyslot>, LuksError> {
    let what = format!("keyslot {}", id);
    if ks.kind != "luks2" {
        return Ok(None);
    }
    if ks.priority == Some(0) {
        return Ok(None);
    }
    let key_size = check_key_size(&what, required(&what, "key_size", ks.key_size)?)?;
    let af = required(&what, "af", ks.af.as_ref())?;
    if af.kind != "luks1" {
        return Err(LuksError::Unsupported(format!(
            "{} splitter ‘{}’",
            what, af.kind
        )));
    }
    let area = required(&what, "area", ks.area.as_ref())?;
    if area.kind != "raw" {
        return Err(LuksError::Unsupported(format!(
            "{} area ‘{}’",
            what, area.kind
        )));
    }
    let area_cipher =
        CipherSpec::parse(required(&what, "encryption", area.encryption.as_deref())?)?;
    let area_key_size = check_key_size(&what, required(&what, "area key_size", area.key_size)?)?;
    area_cipher.check_key_len(area_key_size)?;
    let kdf = required(&what, "kdf", ks.kdf.as_ref())?;
    let salt = base64(&what, &kdf.salt)?;
    let kdf = match kdf.kind.as_str() {
        "pbkdf2" => Kdf::Pbkdf2 {
            hash: parse_hash(&what, required(&what, "kdf hash", kdf.hash.as_deref())?)?,
            iterations: required(&what, "iterations", kdf.iterations)?,
            salt,
        },
        "argon2i" | "argon2id" => Kdf::Argon2 {
            variant: if kdf.kind == "argon2i" {
                Argon2Variant::Argon2i
            } else {
                Argon2Variant::Argon2id
            },
            time: required(&what, "time", kdf.time)?,
            memory_kib: required(&what, "memory", kdf.memory)?,
            lanes: required(&what, "cpus", kdf.cpus)?,
            salt,
        },
        other => {
            return Err(LuksError::Unsupported(format!("{} KDF ‘{}’", what, other)));
        }
    };
    Ok(Some(Keyslot {
        id,
        key_size,
        kdf,
        af_stripes: check_stripes(&what, af.stripes)?,
        af_hash: parse_hash(&what, &af.hash)?,
        area_offset: number(&what, &area.offset)?,
        area_size: number(&what, &area.size)?,
        area_cipher,
        area_key_size,
    }))
}

//! The qcow2 header, its extensions and the backing file name (docs/interop/qcow2.rst).
//!
//! All multi-byte fields are big-endian. Every check here refuses an image qemu would refuse
//! or that the native backend cannot read faithfully; errors name the image.

use super::MAGIC;
use crate::block::BlockDevice;
use crate::bytes::Fixed;
use crate::error::{Error, Result};

/// Smallest and largest cluster size qemu supports (512 B – 2 MiB).
pub const MIN_CLUSTER_BITS: u32 = 9;
pub const MAX_CLUSTER_BITS: u32 = 21;
/// qemu's ceiling on the active L1 table (QCOW_MAX_L1_SIZE).
pub const MAX_L1_BYTES: u64 = 32 << 20;
/// Length of the version 2 header; version 3 headers are at least 104 bytes.
const V2_HEADER_LENGTH: u32 = 72;
const V3_MIN_HEADER_LENGTH: u32 = 104;
/// The fields this reader decodes: the version 3 header and its compression type byte
/// (qemu's `QCowHeader` is 112 bytes with its padding). A cluster (512 bytes at least) holds it.
const FIXED_FIELDS: usize = V3_MIN_HEADER_LENGTH as usize + 1;
/// A header extension's type and length, before its data.
const EXT_HEADER_SIZE: usize = 8;
/// qemu's limit on the backing file name.
const MAX_BACKING_FILE_SIZE: u32 = 1023;

/// Header extension types.
pub const EXT_END: u32 = 0;
pub const EXT_BACKING_FORMAT: u32 = 0xe279_2aca;
pub const EXT_FEATURE_TABLE: u32 = 0x6803_f857;
pub const EXT_CRYPTO_HEADER: u32 = 0x0537_be77;
pub const EXT_BITMAPS: u32 = 0x2385_2875;
pub const EXT_DATA_FILE: u32 = 0x4441_5441;

/// Incompatible feature bits.
pub const INCOMPAT_DIRTY: u64 = 1 << 0;
pub const INCOMPAT_CORRUPT: u64 = 1 << 1;
pub const INCOMPAT_DATA_FILE: u64 = 1 << 2;
pub const INCOMPAT_COMPRESSION: u64 = 1 << 3;
pub const INCOMPAT_EXTL2: u64 = 1 << 4;
const INCOMPAT_KNOWN: u64 =
    INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;

/// Compression types (header byte 104).
pub const COMPRESSION_TYPE_DEFLATE: u8 = 0;
pub const COMPRESSION_TYPE_ZSTD: u8 = 1;

/// One entry of the feature name table extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureName {
    /// 0 incompatible, 1 compatible, 2 autoclear.
    pub feature_type: u8,
    pub bit: u8,
    pub name: String,
}

/// A parsed and validated qcow2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub backing_file_offset: u64,
    pub backing_file_size: u32,
    pub cluster_bits: u32,
    /// Virtual disk size in bytes.
    pub size: u64,
    pub crypt_method: u32,
    /// Number of entries in the active L1 table.
    pub l1_size: u32,
    pub l1_table_offset: u64,
    pub refcount_table_offset: u64,
    pub refcount_table_clusters: u32,
    pub nb_snapshots: u32,
    pub snapshots_offset: u64,
    pub incompatible_features: u64,
    pub compatible_features: u64,
    pub autoclear_features: u64,
    pub refcount_order: u32,
    pub header_length: u32,
    pub compression_type: u8,
    /// The backing file name as stored (bytes up to the first NUL), if any.
    pub backing_file: Option<Vec<u8>>,
    /// The backing file format from the backing format extension (qemu's name), if present.
    pub backing_format: Option<String>,
    /// The external data file's name from its header extension, if present.
    pub data_file: Option<Vec<u8>>,
    /// The feature name table, if present.
    pub feature_names: Vec<FeatureName>,
}

/// Bytes up to the first NUL, as qemu's C strings see them.
fn c_string(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// EIO: the image is damaged or not a sane qcow2 image.
pub(crate) fn corrupt(name: &str, what: impl std::fmt::Display) -> Error {
    crate::block::corrupt(name, "qcow2", what)
}

use crate::block::unsupported;

impl Header {
    pub fn cluster_size(&self) -> u64 {
        1 << self.cluster_bits
    }

    /// Extended L2 entries: 128-bit entries with 32 subclusters per cluster.
    pub fn extended_l2(&self) -> bool {
        self.incompatible_features & INCOMPAT_EXTL2 != 0
    }

    /// Entries per L2 table.
    pub fn l2_entries(&self) -> u64 {
        self.cluster_size() / if self.extended_l2() { 16 } else { 8 }
    }

    /// L1 entries needed to map the virtual size.
    pub fn l1_entries_needed(&self) -> u64 {
        // cluster_bits <= 21 and l2 bits <= 18, so the shift is at most 39.
        let shift = self.cluster_bits + self.l2_entries().trailing_zeros();
        self.size.div_ceil(1u64 << shift)
    }

    /// Reads and validates the header of the qcow2 image in `source` for the native reader,
    /// which refuses features it does not implement. `name` identifies the image in error
    /// messages.
    pub fn read(source: &dyn BlockDevice, name: &str) -> Result<Header> {
        let h = Header::parse(source, name)?;
        h.check_features(name)?;
        h.check_l1(name)?;
        Ok(h)
    }

    /// Reads the header of the qcow2 image in `source` as far as its structure goes: enough
    /// to follow the backing chain of an image that qemu, not the native reader, will read.
    pub fn parse(source: &dyn BlockDevice, name: &str) -> Result<Header> {
        let file_size = source.size();
        let mut fixed = [0u8; V2_HEADER_LENGTH as usize];
        let n = file_size.min(V2_HEADER_LENGTH.into()) as usize;
        source
            .read_exact_at(&mut fixed[..n], 0)
            .map_err(|e| Error::from(e).context(name))?;
        // Bytes past a short file stay 0 here, but n is checked before each field is used.
        let start = Fixed::from(&fixed);
        if n < 8 || fixed[0..4] != MAGIC {
            return Err(corrupt(name, "bad magic"));
        }
        let version = start.be32::<4>();
        if version == 1 {
            return Err(unsupported(name, "qcow version 1 image"));
        }
        if version != 2 && version != 3 {
            return Err(unsupported(name, format_args!("qcow2 version {}", version)));
        }
        if n < V2_HEADER_LENGTH as usize {
            return Err(corrupt(name, "file too small for a qcow2 header"));
        }
        let cluster_bits = start.be32::<20>();
        if !(MIN_CLUSTER_BITS..=MAX_CLUSTER_BITS).contains(&cluster_bits) {
            return Err(corrupt(
                name,
                format_args!("cluster_bits {} out of range 9..21", cluster_bits),
            ));
        }
        let cluster_size = 1u64 << cluster_bits;

        // The header and its extensions live in the first cluster; like qemu, read bytes
        // past the end of the file as zeros. At most 2 MiB.
        let mut first = vec![0u8; cluster_size as usize];
        let in_file = file_size.min(cluster_size) as usize;
        source
            .read_exact_at(&mut first[..in_file], 0)
            .map_err(|e| Error::from(e).context(name))?;
        let f = Fixed::<FIXED_FIELDS>::new(&first)
            .ok_or_else(|| corrupt(name, "first cluster shorter than a qcow2 header"))?;

        let mut h = Header {
            version,
            backing_file_offset: f.be64::<8>(),
            backing_file_size: f.be32::<16>(),
            cluster_bits,
            size: f.be64::<24>(),
            crypt_method: f.be32::<32>(),
            l1_size: f.be32::<36>(),
            l1_table_offset: f.be64::<40>(),
            refcount_table_offset: f.be64::<48>(),
            refcount_table_clusters: f.be32::<56>(),
            nb_snapshots: f.be32::<60>(),
            snapshots_offset: f.be64::<64>(),
            incompatible_features: 0,
            compatible_features: 0,
            autoclear_features: 0,
            refcount_order: 4,
            header_length: V2_HEADER_LENGTH,
            compression_type: COMPRESSION_TYPE_DEFLATE,
            backing_file: None,
            backing_format: None,
            data_file: None,
            feature_names: Vec::new(),
        };
        if version == 3 {
            h.incompatible_features = f.be64::<72>();
            h.compatible_features = f.be64::<80>();
            h.autoclear_features = f.be64::<88>();
            h.refcount_order = f.be32::<96>();
            h.header_length = f.be32::<100>();
            if h.header_length < V3_MIN_HEADER_LENGTH {
                return Err(corrupt(name, "qcow2 header too short"));
            }
            if u64::from(h.header_length) > cluster_size {
                return Err(corrupt(name, "qcow2 header exceeds cluster size"));
            }
            if h.header_length > V3_MIN_HEADER_LENGTH {
                h.compression_type = f.u8::<104>();
            }
            if h.refcount_order > 6 {
                return Err(corrupt(
                    name,
                    format_args!("refcount_order {} too large", h.refcount_order),
                ));
            }
        }

        if h.backing_file_offset > cluster_size {
            return Err(corrupt(name, "invalid backing file offset"));
        }
        let ext_end = if h.backing_file_offset != 0 {
            h.backing_file_offset
        } else {
            cluster_size
        } as usize;
        h.read_extensions(&first, ext_end, name)?;

        if h.backing_file_offset != 0 {
            let len = h.backing_file_size;
            // backing_file_offset <= cluster_size was checked above.
            let room = cluster_size - h.backing_file_offset;
            if len > MAX_BACKING_FILE_SIZE || u64::from(len) > room {
                return Err(corrupt(name, "backing file name too long"));
            }
            let start = h.backing_file_offset as usize;
            let raw = c_string(&first[start..start + len as usize]);
            if !raw.is_empty() {
                h.backing_file = Some(raw.to_vec());
            }
        }

        Ok(h)
    }

    /// Walks the header extensions between the end of the header and `ext_end`.
    fn read_extensions(&mut self, first: &[u8], ext_end: usize, name: &str) -> Result<()> {
        let mut offset = self.header_length as usize;
        while offset < ext_end {
            // ext_end <= first.len(), so an extension header ending past ext_end is refused.
            let ext = Fixed::<EXT_HEADER_SIZE>::at(first, offset)
                .filter(|_| ext_end - offset >= EXT_HEADER_SIZE)
                .ok_or_else(|| corrupt(name, "header extension too large"))?;
            let ext_type = ext.be32::<0>();
            let len = ext.be32::<4>() as usize;
            offset += EXT_HEADER_SIZE;
            if len > ext_end - offset {
                return Err(corrupt(name, "header extension too large"));
            }
            let data = first
                .get(offset..offset + len)
                .ok_or_else(|| corrupt(name, "header extension too large"))?;
            match ext_type {
                EXT_END => return Ok(()),
                EXT_BACKING_FORMAT => {
                    if len >= 16 {
                        return Err(corrupt(name, "backing format name too long"));
                    }
                    self.backing_format =
                        Some(String::from_utf8_lossy(c_string(data)).into_owned());
                }
                EXT_FEATURE_TABLE => {
                    for entry in data.chunks_exact(48) {
                        self.feature_names.push(FeatureName {
                            feature_type: entry[0],
                            bit: entry[1],
                            name: String::from_utf8_lossy(c_string(&entry[2..48])).into_owned(),
                        });
                    }
                }
                EXT_DATA_FILE => self.data_file = Some(data.to_vec()),
                // The crypto header matters only to encrypted images (refused); bitmaps only
                // to writers.
                EXT_CRYPTO_HEADER | EXT_BITMAPS => {}
                // Unknown extensions are ignored, as qemu does.
                _ => {}
            }
            // len <= ext_end - offset <= 2 MiB, so this cannot overflow.
            offset += (len + 7) & !7;
        }
        Ok(())
    }

    /// Refuses the incompatible features and encryption the reader does not implement.
    fn check_features(&self, name: &str) -> Result<()> {
        let unknown = self.incompatible_features & !INCOMPAT_KNOWN;
        if unknown != 0 {
            let mut names = Vec::new();
            for bit in 0..64u8 {
                if unknown & (1 << bit) == 0 {
                    continue;
                }
                match self
                    .feature_names
                    .iter()
                    .find(|f| f.feature_type == 0 && f.bit == bit)
                {
                    Some(f) => names.push(f.name.escape_debug().to_string()),
                    None => names.push(format!("unknown incompatible feature bit {}", bit)),
                }
            }
            return Err(unsupported(
                name,
                format_args!("qcow2 feature(s): {}", names.join(", ")),
            ));
        }
        if self.incompatible_features & INCOMPAT_DATA_FILE != 0 {
            return Err(unsupported(name, "qcow2 image with an external data file"));
        }
        let compression_bit = self.incompatible_features & INCOMPAT_COMPRESSION != 0;
        match self.compression_type {
            COMPRESSION_TYPE_DEFLATE if compression_bit => {
                return Err(corrupt(
                    name,
                    "compression type feature bit set for deflate",
                ));
            }
            COMPRESSION_TYPE_DEFLATE => {}
            _ if !compression_bit => {
                return Err(corrupt(name, "compression type feature bit missing"));
            }
            COMPRESSION_TYPE_ZSTD => {
                return Err(unsupported(name, "qcow2 image with zstd compression"))
            }
            other => {
                return Err(unsupported(
                    name,
                    format_args!("qcow2 compression type {}", other),
                ))
            }
        }
        match self.crypt_method {
            0 => {}
            1 => return Err(unsupported(name, "encrypted qcow2 image (AES)")),
            2 => return Err(unsupported(name, "encrypted qcow2 image (LUKS)")),
            n => {
                return Err(unsupported(
                    name,
                    format_args!("qcow2 encryption method {}", n),
                ))
            }
        }
        if self.extended_l2() && self.cluster_bits < 14 {
            return Err(corrupt(
                name,
                "extended L2 entries need clusters of at least 16 KiB",
            ));
        }
        Ok(())
    }

    /// The virtual size and the active L1 table must be sane.
    fn check_l1(&self, name: &str) -> Result<()> {
        if self.size > i64::MAX as u64 {
            return Err(corrupt(name, "virtual size too large"));
        }
        if u64::from(self.l1_size) * 8 > MAX_L1_BYTES {
            return Err(corrupt(name, "active L1 table too large"));
        }
        if self.l1_entries_needed() > u64::from(self.l1_size) {
            return Err(corrupt(name, "L1 table is too small for the virtual size"));
        }
        if self.l1_size > 0 && self.l1_table_offset & (self.cluster_size() - 1) != 0 {
            return Err(corrupt(name, "L1 table offset not aligned to a cluster"));
        }
        Ok(())
    }
}

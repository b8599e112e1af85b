//! Volume descriptors: the primary one (volume size, block size, root directory) and the
//! Joliet supplementary one, found as the kernel's isofs driver finds them.

use super::corrupt;
use crate::block::Device;
use crate::bytes::Fixed;
use crate::error::{Error, Result};

/// Descriptors lie in 2048-byte sectors from sector 16, whatever the logical block size.
pub const SECTOR: u64 = 2048;
/// The kernel looks at sectors 16 to 99 for descriptors.
const LAST_SECTOR: u64 = 100;
const TYPE_PRIMARY: u8 = 1;
const TYPE_SUPPLEMENTARY: u8 = 2;
const TYPE_END: u8 = 255;
/// Offset of the root directory record in a primary or supplementary descriptor.
const ROOT_RECORD: usize = 156;

/// What the volume descriptors say.
#[derive(Debug, Clone)]
pub struct Volume {
    /// `volume_space_size` of the primary descriptor (statfs's block count).
    pub blocks: u64,
    /// Where the primary root directory's data begins (its extent plus attribute length).
    pub primary_root: u64,
    /// Where the Joliet root directory's data begins, when a Joliet descriptor is present.
    pub joliet_root: Option<u64>,
}

fn root_start(desc: &Descriptor) -> u64 {
    let d = Fixed::from(desc);
    u64::from(d.le32::<{ ROOT_RECORD + 2 }>()) + u64::from(d.u8::<{ ROOT_RECORD + 1 }>())
}

/// One volume descriptor: a sector.
type Descriptor = [u8; SECTOR as usize];

/// Scans the descriptors like `isofs_fill_super`: the first primary descriptor, then the
/// first supplementary one with a Joliet escape sequence ends the scan, as does the
/// terminator. High Sierra volumes and logical blocks other than 2048 bytes are refused
/// (ENOTSUP) so that the appliance reads them.
pub fn read(dev: &Device) -> Result<Volume> {
    let mut primary: Option<Descriptor> = None;
    let mut joliet: Option<Descriptor> = None;
    for sector in 16..LAST_SECTOR {
        let off = sector * SECTOR;
        if off + SECTOR > dev.size() {
            break;
        }
        let mut d = [0u8; SECTOR as usize];
        dev.read_exact_at(&mut d, off)
            .map_err(|e| corrupt(format!("volume descriptor in sector {}: {}", sector, e)))?;
        if d[1..6] == *b"CD001" {
            match d[0] {
                TYPE_END => break,
                TYPE_PRIMARY if primary.is_none() => primary = Some(d),
                TYPE_SUPPLEMENTARY if d[88] == 0x25 && d[89] == 0x2f => {
                    if matches!(d[90], 0x40 | 0x43 | 0x45) {
                        joliet = Some(d);
                    }
                    break;
                }
                _ => {}
            }
        } else if d[9..14] == *b"CDROM" {
            return Err(Error::new(
                libc::ENOTSUP,
                "iso9660: High Sierra volumes are not read natively",
            ));
        }
    }
    let Some(pvd) = primary.or(joliet) else {
        return Err(Error::new(
            libc::EINVAL,
            "iso9660: no primary volume descriptor",
        ));
    };
    let fields = Fixed::from(&pvd);
    let block_size = fields.le16::<128>();
    if block_size != 2048 {
        return Err(Error::new(
            libc::ENOTSUP,
            format!(
                "iso9660: logical blocks of {} bytes are not read natively",
                block_size
            ),
        ));
    }
    Ok(Volume {
        blocks: u64::from(fields.le32::<80>()),
        primary_root: root_start(&pvd),
        joliet_root: joliet.as_ref().map(root_start),
    })
}

//! The decrypted data of a LUKS volume as a block device: each read is widened to whole
//! encryption sectors, read from the encrypted device and decrypted as dm-crypt does.

use super::cipher::SectorCipher;
use crate::block::{check_range, BlockDevice, Device};
use std::io;

pub struct DecryptedDevice {
    pub(super) encrypted: Device,
    /// Where the data starts on `encrypted`.
    pub(super) offset: u64,
    /// A multiple of `sector_size`.
    pub(super) len: u64,
    pub(super) cipher: SectorCipher,
    pub(super) sector_size: u64,
    pub(super) iv_tweak: u64,
}

impl DecryptedDevice {
    /// Reads and decrypts whole sectors starting at `start` (sector-aligned) into `buf`
    /// (a multiple of the sector size).
    fn read_sectors(&self, buf: &mut [u8], start: u64) -> io::Result<()> {
        self.encrypted.read_exact_at(buf, self.offset + start)?;
        for (i, sector) in buf.chunks_mut(self.sector_size as usize).enumerate() {
            let at = start + i as u64 * self.sector_size;
            // dm-crypt numbers IVs in 512-byte units whatever the sector size (LUKS2 never
            // sets iv_large_sectors).
            self.cipher
                .decrypt(sector, (at / 512).wrapping_add(self.iv_tweak));
        }
        Ok(())
    }
}

impl BlockDevice for DecryptedDevice {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.len, offset, buf.len())?;
        let ss = self.sector_size;
        let end = offset + buf.len() as u64;
        if offset.is_multiple_of(ss) && end.is_multiple_of(ss) {
            return self.read_sectors(buf, offset);
        }
        let first = offset - offset % ss;
        let last = end.div_ceil(ss) * ss;
        let mut whole = vec![0u8; (last - first) as usize];
        self.read_sectors(&mut whole, first)?;
        let skip = (offset - first) as usize;
        buf.copy_from_slice(&whole[skip..skip + buf.len()]);
        Ok(())
    }
}

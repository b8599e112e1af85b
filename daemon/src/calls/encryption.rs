//! Encrypted volumes: opening LUKS devices with cryptsetup.

use crate::daemon::Daemon;
use guestfs_protocol::calls;
use guestfs_protocol::Result;

impl calls::Encryption for Daemon {
    fn luks_open(&mut self, device: &str, key: &str, mapname: &str) -> Result<()> {
        crate::lvm::luks_open(device, key, mapname)
    }
}

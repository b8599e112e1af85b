//! `mountable_device` and `mountable_subvolume`: the parts of a mountable name
//! (`/dev/sda1`, `btrfsvol:/dev/sda2/root`), as the daemon parses it
//! (`internal_parse_mountable`).

use crate::error::{Error, Result};
use crate::handle::Handle;

impl Handle {
    pub(crate) fn impl_mountable_device(&mut self, mountable: &str) -> Result<String> {
        Ok(self.internal_parse_mountable(mountable)?.im_device)
    }

    /// A mountable that is not a btrfs subvolume (or cannot be parsed) is refused with
    /// libguestfs's message, after the parse error itself was reported.
    pub(crate) fn impl_mountable_subvolume(&mut self, mountable: &str) -> Result<String> {
        match self.internal_parse_mountable(mountable) {
            Ok(m) if !m.im_volume.is_empty() => Ok(m.im_volume),
            _ => Err(Error::new(libc::EINVAL, "not a btrfs subvolume identifier")),
        }
    }
}

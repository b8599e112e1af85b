//! The attributes calls the native backend answers.

use super::super::*;
use guestfs_protocol::calls as api;

impl api::Attributes for NativeBackend {
    fn lgetxattrs(&mut self, path: &str) -> Result<Vec<Xattr>> {
        let loc = self
            .mounts
            .resolve(path, false)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts
            .fs(&loc)
            .xattrs(loc.ino)
            .map(|list| {
                list.into_iter()
                    .map(|(attrname, attrval)| Xattr { attrname, attrval })
                    .collect()
            })
            // The daemon's wording when listxattr fails (e.g. EOPNOTSUPP on a squashfs
            // without an xattr table).
            .map_err(|e| Error::new(e.errno, format!("listxattr: {}: {}", path, e.message)))
    }
}

//! The daemon's state, and the checks libguestfs 1.48's generated stubs make before a call
//! runs: absolute paths, a mounted root, device names translated to the appliance's and back.
//! The calls themselves are in [`crate::calls`], one file per family.

use crate::devices;
use crate::progress::Notifier;
use crate::sys;
use guestfs_protocol::server::{unavailable_feature, FeatureGroups};
use guestfs_protocol::{ArgChecks, Error, Result, Unimplemented};
use std::borrow::Cow;

/// What the calls work on: the guest's filesystems mounted under `sysroot`.
pub struct Daemon {
    /// Where guest filesystems are mounted (`/sysroot`; empty with `-r`, the host's root).
    pub sysroot: String,
    /// Progress messages of the call being served.
    pub progress: Notifier,
    /// The appliance has a network (1.48's `enable_network`).
    pub network: bool,
    /// The Augeas handle of `aug_init`, until `aug_close`.
    pub augeas: Option<crate::augeas_lib::Augeas>,
    /// What `debug bmap_file`/`bmap_device` opened for `debug bmap`.
    pub bmap: Option<crate::calls::debug::BmapTarget>,
}

impl Daemon {
    pub fn new(sysroot: String, progress: Notifier) -> Daemon {
        Daemon {
            sysroot,
            progress,
            network: false,
            augeas: None,
            bmap: None,
        }
    }

    /// The appliance path of a guest path (`/etc` → `/sysroot/etc`).
    pub fn sysroot_path(&self, path: &str) -> String {
        format!("{}{}", self.sysroot, path)
    }

    /// Whether a filesystem is mounted at the sysroot or below it.
    pub fn root_mounted(&self) -> bool {
        if self.sysroot.is_empty() {
            return true;
        }
        let below = format!("{}/", self.sysroot);
        sys::mount_table()
            .iter()
            .any(|m| m.dir == self.sysroot || m.dir.starts_with(&below))
    }
}

impl Unimplemented for Daemon {
    fn unimplemented(&self, call: &'static str) -> Error {
        Error::new(
            libc::ENOTSUP,
            format!(
                "{} is not implemented by this daemon (guestfsd in Rust)",
                call
            ),
        )
    }
}

/// `FUNC_stub: NAME: expecting a device name`, 1.48's wording for an argument that is not a
/// usable block device.
fn not_a_device(call: &str, name: &str) -> Error {
    Error::msg(format!("{}_stub: {}: expecting a device name", call, name))
}

impl ArgChecks for Daemon {
    fn pathname(&mut self, call: &str, path: &str) -> Result<()> {
        if path.starts_with('/') {
            Ok(())
        } else {
            Err(Error::msg(format!(
                "{}_stub: path must start with a / character",
                call
            )))
        }
    }

    fn need_root(&mut self, call: &str) -> Result<()> {
        if self.root_mounted() {
            Ok(())
        } else {
            Err(Error::msg(format!(
                "{}_stub: you must call 'mount' first to mount the root filesystem",
                call
            )))
        }
    }

    fn device<'a>(&mut self, call: &str, device: &'a str) -> Result<Cow<'a, str>> {
        // 1.48 assembles md arrays at boot; ours are assembled on first use, which naming
        // one is.
        if device.starts_with("/dev/md") {
            crate::lvm::activate_md();
        }
        let kernel = devices::to_kernel(device).map_err(|errno| {
            Error::new(
                errno,
                format!(
                    "{}_stub: {}: {}",
                    call,
                    device,
                    guestfs_protocol::error::strerror(errno)
                ),
            )
        })?;
        if !devices::is_device_parameter(&kernel) {
            return Err(not_a_device(call, device));
        }
        Ok(if kernel == device {
            Cow::Borrowed(device)
        } else {
            Cow::Owned(kernel)
        })
    }

    fn mountable<'a>(&mut self, call: &str, mountable: &'a str) -> Result<Cow<'a, str>> {
        let Some(rest) = mountable.strip_prefix("btrfsvol:") else {
            return self.device(call, mountable);
        };
        let (device, volume) = devices::split_btrfsvol(rest, true).ok_or_else(|| {
            Error::msg(format!(
                "{}_stub: {}: expecting a btrfs volume",
                call, mountable
            ))
        })?;
        Ok(Cow::Owned(format!("btrfsvol:{}/{}", device, volume)))
    }

    fn dev_or_path<'a>(&mut self, call: &str, arg: &'a str) -> Result<Cow<'a, str>> {
        if devices::is_device_parameter(arg) {
            return self.device(call, arg);
        }
        self.need_root(call)?;
        self.pathname(call, arg)?;
        Ok(Cow::Borrowed(arg))
    }

    fn mountable_or_path<'a>(&mut self, call: &str, arg: &'a str) -> Result<Cow<'a, str>> {
        if devices::is_device_parameter(arg) || !arg.starts_with('/') {
            return self.mountable(call, arg);
        }
        self.need_root(call)?;
        Ok(Cow::Borrowed(arg))
    }

    fn filenames(&mut self, call: &str, names: &[String]) -> Result<()> {
        match names.iter().find(|n| n.contains('/')) {
            Some(n) => Err(Error::msg(format!(
                "{}_stub: '{}' is not a file name",
                call, n
            ))),
            None => Ok(()),
        }
    }

    fn reverse_device(&mut self, name: String) -> String {
        devices::from_kernel(&name)
    }
}

impl FeatureGroups for Daemon {
    fn require_group(&mut self, group: &str) -> Result<()> {
        if crate::calls::daemon::group_available(group) {
            Ok(())
        } else {
            Err(unavailable_feature(group))
        }
    }
}

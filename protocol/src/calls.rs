//! Every daemon call as Rust: the optional-argument structs, one backend trait per family
//! (generated from `api/`), and the argument checks by kind that run before a call.

use crate::error::{Error, Result};
use std::borrow::Cow;
use std::io::Read;

/// The data of a FileIn argument: where it comes from, and its size when known (the header's
/// progress hint).
pub struct FileIn<'a> {
    pub reader: &'a mut dyn Read,
    pub size_hint: u64,
}

impl Read for FileIn<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reader.read(buf)
    }
}

/// The error for a call an implementation does not provide. Every backend-trait method
/// defaults to it.
pub trait Unimplemented {
    /// The error (ENOTSUP) for `call`; the handle adds the `call: ` prefix.
    fn unimplemented(&self, call: &'static str) -> Error {
        Error::new(
            libc::ENOTSUP,
            format!("{} is not implemented by this backend", call),
        )
    }
}

/// The checks by argument kind that run before a daemon call, as libguestfs's daemon stubs do
/// them (the daemon and in-process backends implement them; a backend that forwards calls to
/// a daemon keeps the defaults and lets the daemon check).
pub trait ArgChecks {
    /// A `Pathname`: must be absolute.
    fn pathname(&mut self, call: &str, path: &str) -> Result<()> {
        if path.starts_with('/') {
            Ok(())
        } else {
            Err(Error::new(
                libc::EINVAL,
                format!("{}_stub: path must start with a / character", call),
            ))
        }
    }
    /// Calls with a `Pathname` need the root filesystem mounted.
    fn need_root(&mut self, _call: &str) -> Result<()> {
        Ok(())
    }
    /// A `Device`: translated to the backend's own name and checked to be a device.
    fn device<'a>(&mut self, _call: &str, device: &'a str) -> Result<Cow<'a, str>> {
        Ok(Cow::Borrowed(device))
    }
    /// A `Mountable`: a device, or `btrfsvol:DEVICE/SUBVOLUME`.
    fn mountable<'a>(&mut self, call: &str, mountable: &'a str) -> Result<Cow<'a, str>> {
        self.device(call, mountable)
    }
    /// A `Dev_or_Path`: a device, or an absolute path in the mounted guest.
    fn dev_or_path<'a>(&mut self, _call: &str, arg: &'a str) -> Result<Cow<'a, str>> {
        Ok(Cow::Borrowed(arg))
    }
    /// A `Mountable_or_Path`.
    fn mountable_or_path<'a>(&mut self, _call: &str, arg: &'a str) -> Result<Cow<'a, str>> {
        Ok(Cow::Borrowed(arg))
    }
    /// A `StringList(Filename)`: names without `/`.
    fn filenames(&mut self, call: &str, names: &[String]) -> Result<()> {
        match names.iter().find(|n| n.contains('/')) {
            Some(n) => Err(Error::new(
                libc::EINVAL,
                format!("{}: '{}' is not a file name", call, n),
            )),
            None => Ok(()),
        }
    }
    /// A `StringList(Device)`: each element as [`ArgChecks::device`].
    fn devices<'a>(&mut self, call: &str, devices: &'a [String]) -> Result<Cow<'a, [String]>> {
        let mut out = Vec::with_capacity(devices.len());
        let mut changed = false;
        for d in devices {
            let t = self.device(call, d)?;
            changed |= t != d.as_str();
            out.push(t.into_owned());
        }
        Ok(if changed {
            Cow::Owned(out)
        } else {
            Cow::Borrowed(devices)
        })
    }
    /// A device or mountable name in a result, translated back to the `/dev/sdX` naming.
    fn reverse_device(&mut self, name: String) -> String {
        name
    }
}

include!(concat!(env!("OUT_DIR"), "/calls.rs"));

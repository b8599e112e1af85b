//! libguestfs's `hivex_*` calls, for the library and the daemon alike: one hive open at a
//! time, read from the guest with `download` and written back with `upload`. Node and value
//! handles are the hive's file offsets; errors are worded as 1.48's daemon words them
//! (`failed: ` and the errno's text).

use super::{Hive, NodeHandle, OpenOptions, ValueHandle};
use crate::error::{strerror, Error, Result};
use crate::guest::{Guest, GuestExt};
use guestfs_protocol::calls::{checked, HivexOpenOpts};
use guestfs_protocol::structs::{HivexNode, HivexValue};
use guestfs_protocol::FileIn;
use std::io::{self, Write};

/// The largest hive file `hivex_open` reads into memory. Real hives are tens to hundreds of
/// MiB at most; hive cell offsets are 32-bit, so a valid hive cannot be much over 4 GiB anyway.
pub const MAX_HIVE_FILE_SIZE: usize = 1 << 30;

/// The hive `hivex_open` opened, and the guest file it came from.
pub struct OpenHive {
    hive: Hive,
    filename: String,
}

/// Collects a download, failing once it would exceed the cap.
struct CappedBuffer {
    data: Vec<u8>,
    exceeded: bool,
}

impl Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.data.len().saturating_add(buf.len()) > MAX_HIVE_FILE_SIZE {
            self.exceeded = true;
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "hive file is too large",
            ));
        }
        self.data.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// 1.48's error for a failed hivex call: `failed: ` and the errno's text.
fn failed(e: Error) -> Error {
    Error::new(e.errno, format!("failed: {}", strerror(e.errno)))
}

fn node(h: i64) -> Result<NodeHandle> {
    usize::try_from(h)
        .map(NodeHandle)
        .map_err(|_| Error::new(libc::EINVAL, "failed: Invalid argument"))
}

fn value(h: i64) -> Result<ValueHandle> {
    usize::try_from(h)
        .map(ValueHandle)
        .map_err(|_| Error::new(libc::EINVAL, "failed: Invalid argument"))
}

fn to_i64(off: usize) -> i64 {
    // Offsets are below the file size, itself capped far below i64::MAX.
    i64::try_from(off).unwrap_or(i64::MAX)
}

/// The open hive of a call, or 1.48's error naming the daemon function.
pub fn opened<'a>(hive: &'a mut Option<OpenHive>, call: &str) -> Result<&'a mut OpenHive> {
    hive.as_mut().ok_or_else(|| {
        Error::msg(format!(
            "do_{}: you must call 'hivex-open' first to initialize the hivex handle",
            call
        ))
    })
}

/// `hivex_open`: reads the hive file `filename` from the guest and opens it. Returns it with
/// the debug message `verbose`/`debug` ask for.
pub fn open(
    guest: &mut dyn Guest,
    filename: &str,
    opts: &HivexOpenOpts,
) -> Result<(OpenHive, Option<String>)> {
    let cannot_open = |errno: i32| {
        Error::new(
            errno,
            format!("hivex failed to open {}: {}", filename, strerror(errno)),
        )
    };
    // hivex maps the file, which a directory refuses.
    if guest.is_dir_follow(filename, true).unwrap_or(false) {
        return Err(cannot_open(libc::ENODEV));
    }
    let mut buf = CappedBuffer {
        data: Vec::new(),
        exceeded: false,
    };
    let downloaded = checked::download(guest, filename, &mut buf);
    if buf.exceeded {
        return Err(cannot_open(libc::EFBIG));
    }
    downloaded.map_err(|e| cannot_open(e.errno))?;
    let size = buf.data.len();
    let tolerant = opts.r#unsafe == Some(true);
    let mut hive = Hive::from_bytes_opts(buf.data, OpenOptions { tolerant })
        .map_err(|e| cannot_open(e.errno))?;
    if opts.write == Some(true) {
        hive.set_writable();
    }
    let message = (opts.verbose == Some(true) || opts.debug == Some(true)).then(|| {
        let (bins, cells) = hive.stats();
        format!(
            "hivex: {}: {} bytes, version {}.{}, {} hive bins, {} allocated cells, root 0x{:x}{}",
            filename,
            size,
            hive.header().major_version,
            hive.header().minor_version,
            bins,
            cells,
            hive.root().0,
            if tolerant { " (unsafe)" } else { "" }
        )
    });
    Ok((
        OpenHive {
            hive,
            filename: filename.to_string(),
        },
        message,
    ))
}

impl OpenHive {
    /// `hivex_commit`: writes the hive back to the file it came from, or to `filename`.
    pub fn commit(&mut self, guest: &mut dyn Guest, filename: Option<&str>) -> Result<()> {
        if let Some(f) = filename {
            if !f.starts_with('/') {
                return Err(Error::new(
                    libc::EINVAL,
                    "do_hivex_commit: path must start with a / character",
                ));
            }
        }
        let (target, prefix) = match filename {
            Some(f) => (f.to_string(), format!("{}: ", f)),
            None => (self.filename.clone(), String::new()),
        };
        let commit_failed = |errno: i32| {
            Error::new(
                errno,
                format!("{}commit failed: {}", prefix, strerror(errno)),
            )
        };
        let bytes = self.hive.commit().map_err(|e| commit_failed(e.errno))?;
        let mut reader = bytes;
        let mut input = FileIn {
            size_hint: reader.len() as u64,
            reader: &mut reader,
        };
        checked::upload(guest, &mut input, &target).map_err(|e| commit_failed(e.errno))
    }

    pub fn root(&self) -> i64 {
        to_i64(self.hive.root().0)
    }

    pub fn node_name(&self, nodeh: i64) -> Result<String> {
        self.hive.node_name(node(nodeh)?).map_err(failed)
    }

    /// The subkeys, in stored order.
    pub fn node_children(&self, nodeh: i64) -> Result<Vec<HivexNode>> {
        let children = self.hive.node_children(node(nodeh)?).map_err(failed)?;
        Ok(children
            .into_iter()
            .map(|c| HivexNode {
                hivex_node_h: to_i64(c.0),
            })
            .collect())
    }

    /// The subkey called `name` (case-insensitive), 0 if none.
    pub fn node_get_child(&self, nodeh: i64, name: &str) -> Result<i64> {
        Ok(self
            .hive
            .node_get_child(node(nodeh)?, name)
            .map_err(failed)?
            .map_or(0, |c| to_i64(c.0)))
    }

    pub fn node_parent(&self, nodeh: i64) -> Result<i64> {
        Ok(to_i64(
            self.hive.node_parent(node(nodeh)?).map_err(failed)?.0,
        ))
    }

    /// The values, in stored order.
    pub fn node_values(&self, nodeh: i64) -> Result<Vec<HivexValue>> {
        let values = self.hive.node_values(node(nodeh)?).map_err(failed)?;
        Ok(values
            .into_iter()
            .map(|v| HivexValue {
                hivex_value_h: to_i64(v.0),
            })
            .collect())
    }

    /// The value called `key` (case-insensitive; "" is the default value), 0 if none.
    pub fn node_get_value(&self, nodeh: i64, key: &str) -> Result<i64> {
        Ok(self
            .hive
            .node_get_value(node(nodeh)?, key)
            .map_err(failed)?
            .map_or(0, |v| to_i64(v.0)))
    }

    pub fn value_key(&self, valueh: i64) -> Result<String> {
        self.hive.value_key(value(valueh)?).map_err(failed)
    }

    /// The value's `REG_*` type.
    pub fn value_type(&self, valueh: i64) -> Result<i64> {
        Ok(i64::from(
            self.hive.value_type(value(valueh)?).map_err(failed)?.0,
        ))
    }

    pub fn value_value(&self, valueh: i64) -> Result<Vec<u8>> {
        Ok(self.hive.value_value(value(valueh)?).map_err(failed)?.1)
    }

    /// A string value as UTF-8.
    pub fn value_string(&self, valueh: i64) -> Result<String> {
        self.hive.value_string(value(valueh)?).map_err(failed)
    }

    pub fn node_add_child(&mut self, parent: i64, name: &str) -> Result<i64> {
        let child = self
            .hive
            .node_add_child(node(parent)?, name)
            .map_err(failed)?;
        Ok(to_i64(child.0))
    }

    pub fn node_delete_child(&mut self, nodeh: i64) -> Result<()> {
        self.hive.node_delete_child(node(nodeh)?).map_err(failed)
    }

    /// Sets (or adds) the value `key` of a key; `t` is the `REG_*` type (hivex keeps its low
    /// 32 bits).
    pub fn node_set_value(&mut self, nodeh: i64, key: &str, t: i64, val: &[u8]) -> Result<()> {
        self.hive
            .node_set_value(node(nodeh)?, key, t as u32, val)
            .map_err(failed)
    }
}

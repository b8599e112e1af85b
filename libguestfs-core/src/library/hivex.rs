//! libguestfs's `hivex_*` calls, library-side: the hive file is read from the guest with the
//! backend's `download` into memory and parsed with [`crate::hive`]. One hive is open per
//! handle at a time, as in libguestfs; node and value handles are the hive's file offsets
//! (`i64`), and 0 means "none" where libguestfs says so. Read-only: `write: true` is refused.

use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::hive::{Hive, NodeHandle, OpenOptions, ValueHandle};
use guestfs_protocol::calls::{checked, HivexOpenOpts};
use guestfs_protocol::structs::{HivexNode, HivexValue};
use std::io::{self, Write};

/// The largest hive file `hivex_open` reads into memory. Real hives are tens to hundreds of
/// MiB at most; hive cell offsets are 32-bit, so a valid hive cannot be much over 4 GiB anyway.
pub const MAX_HIVE_FILE_SIZE: usize = 1 << 30;

/// Collects a download, failing once it would exceed the cap.
struct CappedBuffer {
    data: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.data.len().saturating_add(buf.len()) > self.limit {
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

fn node_handle(h: i64) -> Result<NodeHandle> {
    usize::try_from(h)
        .map(NodeHandle)
        .map_err(|_| Error::new(libc::EINVAL, format!("invalid node handle {}", h)))
}

fn value_handle(h: i64) -> Result<ValueHandle> {
    usize::try_from(h)
        .map(ValueHandle)
        .map_err(|_| Error::new(libc::EINVAL, format!("invalid value handle {}", h)))
}

fn to_i64(off: usize) -> i64 {
    // Offsets are below the file size, itself capped far below i64::MAX.
    i64::try_from(off).unwrap_or(i64::MAX)
}

impl Handle {
    /// The open hive.
    fn hive(&self) -> Result<&Hive> {
        self.hive.as_ref().ok_or_else(|| {
            Error::new(
                libc::ENOENT,
                "you must call 'hivex-open' first to initialize the hivex handle",
            )
        })
    }

    /// `hivex_open`: reads the hive file `filename` from the guest and opens it, closing any
    /// hive already open.
    pub(crate) fn impl_hivex_open(&mut self, filename: &str, opts: &HivexOpenOpts) -> Result<()> {
        self.hive = None;
        if opts.write == Some(true) {
            return Err(Error::new(
                libc::ENOTSUP,
                "hivex: write mode is not supported: hives are opened read-only",
            ));
        }
        let mut buf = CappedBuffer {
            data: Vec::new(),
            limit: MAX_HIVE_FILE_SIZE,
            exceeded: false,
        };
        // A daemon call in libguestfs: the file is read without an inner (traced) call.
        let downloaded = match self.backend_mut() {
            Some(backend) => checked::download(backend, filename, &mut buf),
            None => Err(Error::new(libc::EINVAL, "the handle is not launched")),
        };
        if buf.exceeded {
            return Err(Error::new(
                libc::EFBIG,
                format!(
                    "hivex failed to open {}: file is larger than {} bytes",
                    filename, MAX_HIVE_FILE_SIZE
                ),
            ));
        }
        downloaded?;
        let size = buf.data.len();
        let tolerant = opts.r#unsafe == Some(true);
        let hive = Hive::from_bytes_opts(buf.data, OpenOptions { tolerant })
            .map_err(|e| e.context(&format!("hivex failed to open {}", filename)))?;
        if opts.verbose == Some(true) || opts.debug == Some(true) {
            let (bins, cells) = hive.stats();
            let msg = format!(
                "hivex: {}: {} bytes, version {}.{}, {} hive bins, {} allocated cells, root 0x{:x}{}",
                filename,
                size,
                hive.header().major_version,
                hive.header().minor_version,
                bins,
                cells,
                hive.root().0,
                if tolerant { " (unsafe)" } else { "" }
            );
            self.log_debug(&msg);
        }
        self.hive = Some(hive);
        Ok(())
    }

    /// `hivex_close`: closes the open hive.
    pub(crate) fn impl_hivex_close(&mut self) -> Result<()> {
        self.hive()?;
        self.hive = None;
        Ok(())
    }

    /// `hivex_commit`: writing hives back is not supported (the hive reader is read-only).
    pub(crate) fn impl_hivex_commit(&mut self, _filename: Option<&str>) -> Result<()> {
        self.hive()?;
        Err(read_only())
    }

    pub(crate) fn impl_hivex_node_add_child(&mut self, _parent: i64, _name: &str) -> Result<i64> {
        self.hive()?;
        Err(read_only())
    }

    pub(crate) fn impl_hivex_node_delete_child(&mut self, _nodeh: i64) -> Result<()> {
        self.hive()?;
        Err(read_only())
    }

    pub(crate) fn impl_hivex_node_set_value(
        &mut self,
        _nodeh: i64,
        _key: &str,
        _t: i64,
        _val: &[u8],
    ) -> Result<()> {
        self.hive()?;
        Err(read_only())
    }

    pub(crate) fn impl_hivex_root(&mut self) -> Result<i64> {
        Ok(to_i64(self.hive()?.root().0))
    }

    pub(crate) fn impl_hivex_node_name(&mut self, nodeh: i64) -> Result<String> {
        self.hive()?.node_name(node_handle(nodeh)?)
    }

    /// The subkeys, in stored order.
    pub(crate) fn impl_hivex_node_children(&mut self, nodeh: i64) -> Result<Vec<HivexNode>> {
        let children = self.hive()?.node_children(node_handle(nodeh)?)?;
        Ok(children
            .into_iter()
            .map(|c| HivexNode {
                hivex_node_h: to_i64(c.0),
            })
            .collect())
    }

    /// The subkey called `name` (case-insensitive), 0 if none.
    pub(crate) fn impl_hivex_node_get_child(&mut self, nodeh: i64, name: &str) -> Result<i64> {
        Ok(self
            .hive()?
            .node_get_child(node_handle(nodeh)?, name)?
            .map_or(0, |c| to_i64(c.0)))
    }

    pub(crate) fn impl_hivex_node_parent(&mut self, nodeh: i64) -> Result<i64> {
        Ok(to_i64(self.hive()?.node_parent(node_handle(nodeh)?)?.0))
    }

    /// The values, in stored order.
    pub(crate) fn impl_hivex_node_values(&mut self, nodeh: i64) -> Result<Vec<HivexValue>> {
        let values = self.hive()?.node_values(node_handle(nodeh)?)?;
        Ok(values
            .into_iter()
            .map(|v| HivexValue {
                hivex_value_h: to_i64(v.0),
            })
            .collect())
    }

    /// The value called `key` (case-insensitive; "" is the default value), 0 if none.
    pub(crate) fn impl_hivex_node_get_value(&mut self, nodeh: i64, key: &str) -> Result<i64> {
        Ok(self
            .hive()?
            .node_get_value(node_handle(nodeh)?, key)?
            .map_or(0, |v| to_i64(v.0)))
    }

    pub(crate) fn impl_hivex_value_key(&mut self, valueh: i64) -> Result<String> {
        self.hive()?.value_key(value_handle(valueh)?)
    }

    /// The value's `REG_*` type.
    pub(crate) fn impl_hivex_value_type(&mut self, valueh: i64) -> Result<i64> {
        Ok(i64::from(self.hive()?.value_type(value_handle(valueh)?)?.0))
    }

    pub(crate) fn impl_hivex_value_value(&mut self, valueh: i64) -> Result<Vec<u8>> {
        Ok(self.hive()?.value_value(value_handle(valueh)?)?.1)
    }

    /// A string value as UTF-8.
    pub(crate) fn impl_hivex_value_string(&mut self, valueh: i64) -> Result<String> {
        self.hive()?.value_string(value_handle(valueh)?)
    }

    /// The deprecated name of `hivex_value_string`.
    pub(crate) fn impl_hivex_value_utf8(&mut self, valueh: i64) -> Result<String> {
        self.impl_hivex_value_string(valueh)
    }
}

/// The error of the calls that would change a hive.
fn read_only() -> Error {
    Error::new(
        libc::ENOTSUP,
        "hivex: the hive was opened read-only: changing hives is not supported",
    )
}

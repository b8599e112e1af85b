//! libguestfs's `hivex_*` calls, library-side: the hive file is read from the guest with the
//! backend's `download` into memory and parsed with [`crate::hive`]. One hive is open per
//! handle at a time, as in libguestfs; node and value handles are the hive's file offsets
//! (`i64`), and 0 means "none" where libguestfs says so. Read-only: `write: true` is refused.

use crate::backend::TraceArg;
use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::hive::{Hive, NodeHandle, OpenOptions, ValueHandle};
use std::io::{self, Write};

/// The largest hive file `hivex_open` reads into memory. Real hives are tens to hundreds of
/// MiB at most; hive cell offsets are 32-bit, so a valid hive cannot be much over 4 GiB anyway.
pub const MAX_HIVE_FILE_SIZE: usize = 1 << 30;

/// The optional arguments of `hivex_open`; None means "not given" (false).
#[derive(Debug, Clone, Copy, Default)]
pub struct HivexOpenOptions {
    /// Debug messages about the open (through the handle's debug events).
    pub verbose: Option<bool>,
    /// Like `verbose`.
    pub debug: Option<bool>,
    /// Open for writing: not supported, the reader is read-only (ENOTSUP).
    pub write: Option<bool>,
    /// hivex's "unsafe" flag: tolerate damaged hives as far as possible.
    pub unsafe_mode: Option<bool>,
}

impl TraceArg for HivexOpenOptions {
    /// libguestfs traces the optional arguments that were given as `"name:value"`.
    fn trace(&self) -> String {
        let given = [
            ("verbose", self.verbose),
            ("debug", self.debug),
            ("write", self.write),
            ("unsafe", self.unsafe_mode),
        ];
        given
            .iter()
            .filter_map(|(name, v)| v.map(|v| format!("\"{}:{}\"", name, v)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A list of node or value handles, traced the way the handle traces struct lists.
struct HandleList(Vec<i64>, &'static str);

impl TraceArg for HandleList {
    fn trace(&self) -> String {
        format!("<struct {} list of {} entries>", self.1, self.0.len())
    }
}

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
    /// Runs `f` on the open hive, with the usual tracing and error reporting of a call.
    fn with_hive<T: TraceArg>(
        &mut self,
        name: &str,
        args: &[&dyn TraceArg],
        f: impl FnOnce(&Hive) -> Result<T>,
    ) -> Result<T> {
        self.enter_call(name, args)?;
        let result = match &self.hive {
            Some(hive) => f(hive),
            None => Err(Error::new(
                libc::ENOENT,
                "you must call 'hivex-open' first to initialize the hivex handle",
            )),
        };
        self.leave_call(name, result)
    }

    /// `hivex_open`: reads the hive file `filename` from the guest and opens it, closing any
    /// hive already open.
    pub fn hivex_open(&mut self, filename: &str, opts: HivexOpenOptions) -> Result<()> {
        // Optional arguments that were not given leave no trace (not even a space).
        let with_opts: [&dyn TraceArg; 2] = [&filename, &opts];
        let args = if opts.trace().is_empty() {
            &with_opts[..1]
        } else {
            &with_opts[..]
        };
        self.enter_call("hivex_open", args)?;
        let result = self.hivex_open_inner(filename, opts);
        self.leave_call("hivex_open", result)
    }

    fn hivex_open_inner(&mut self, filename: &str, opts: HivexOpenOptions) -> Result<()> {
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
        let downloaded = match self.backend_mut() {
            Some(backend) => backend.download(filename, &mut buf),
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
        let tolerant = opts.unsafe_mode == Some(true);
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
            self.debug(&msg);
        }
        self.hive = Some(hive);
        Ok(())
    }

    /// `hivex_close`: closes the open hive.
    pub fn hivex_close(&mut self) -> Result<()> {
        let r = self.with_hive("hivex_close", &[], |_| Ok(()));
        if r.is_ok() {
            self.hive = None;
        }
        r
    }

    /// `hivex_root`: the root node.
    pub fn hivex_root(&mut self) -> Result<i64> {
        self.with_hive("hivex_root", &[], |h| Ok(to_i64(h.root().0)))
    }

    /// `hivex_node_name`.
    pub fn hivex_node_name(&mut self, nodeh: i64) -> Result<String> {
        self.with_hive("hivex_node_name", &[&nodeh], |h| {
            h.node_name(node_handle(nodeh)?)
        })
    }

    /// `hivex_node_children`: the subkeys' handles, in stored order.
    pub fn hivex_node_children(&mut self, nodeh: i64) -> Result<Vec<i64>> {
        self.with_hive("hivex_node_children", &[&nodeh], |h| {
            let children = h.node_children(node_handle(nodeh)?)?;
            Ok(HandleList(
                children.into_iter().map(|c| to_i64(c.0)).collect(),
                "hivex_node",
            ))
        })
        .map(|l| l.0)
    }

    /// `hivex_node_get_child`: the subkey called `name` (case-insensitive), 0 if none.
    pub fn hivex_node_get_child(&mut self, nodeh: i64, name: &str) -> Result<i64> {
        self.with_hive("hivex_node_get_child", &[&nodeh, &name], |h| {
            Ok(h.node_get_child(node_handle(nodeh)?, name)?
                .map_or(0, |c| to_i64(c.0)))
        })
    }

    /// `hivex_node_parent`.
    pub fn hivex_node_parent(&mut self, nodeh: i64) -> Result<i64> {
        self.with_hive("hivex_node_parent", &[&nodeh], |h| {
            Ok(to_i64(h.node_parent(node_handle(nodeh)?)?.0))
        })
    }

    /// `hivex_node_values`: the values' handles, in stored order.
    pub fn hivex_node_values(&mut self, nodeh: i64) -> Result<Vec<i64>> {
        self.with_hive("hivex_node_values", &[&nodeh], |h| {
            let values = h.node_values(node_handle(nodeh)?)?;
            Ok(HandleList(
                values.into_iter().map(|v| to_i64(v.0)).collect(),
                "hivex_value",
            ))
        })
        .map(|l| l.0)
    }

    /// `hivex_node_get_value`: the value called `key` (case-insensitive; "" is the default
    /// value), 0 if none.
    pub fn hivex_node_get_value(&mut self, nodeh: i64, key: &str) -> Result<i64> {
        self.with_hive("hivex_node_get_value", &[&nodeh, &key], |h| {
            Ok(h.node_get_value(node_handle(nodeh)?, key)?
                .map_or(0, |v| to_i64(v.0)))
        })
    }

    /// `hivex_value_key`: the value's name.
    pub fn hivex_value_key(&mut self, valueh: i64) -> Result<String> {
        self.with_hive("hivex_value_key", &[&valueh], |h| {
            h.value_key(value_handle(valueh)?)
        })
    }

    /// `hivex_value_type`: the value's `REG_*` type.
    pub fn hivex_value_type(&mut self, valueh: i64) -> Result<i64> {
        self.with_hive("hivex_value_type", &[&valueh], |h| {
            Ok(i64::from(h.value_type(value_handle(valueh)?)?.0))
        })
    }

    /// `hivex_value_value`: the value's data.
    pub fn hivex_value_value(&mut self, valueh: i64) -> Result<Vec<u8>> {
        self.with_hive("hivex_value_value", &[&valueh], |h| {
            Ok(h.value_value(value_handle(valueh)?)?.1)
        })
    }

    /// `hivex_value_string`: a string value as UTF-8.
    pub fn hivex_value_string(&mut self, valueh: i64) -> Result<String> {
        self.with_hive("hivex_value_string", &[&valueh], |h| {
            h.value_string(value_handle(valueh)?)
        })
    }

    /// `hivex_value_utf8`: the deprecated name of `hivex_value_string`.
    pub fn hivex_value_utf8(&mut self, valueh: i64) -> Result<String> {
        self.with_hive("hivex_value_utf8", &[&valueh], |h| {
            h.value_string(value_handle(valueh)?)
        })
    }
}

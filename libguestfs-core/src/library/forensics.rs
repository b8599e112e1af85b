//! `filesystem_walk`, `find_inode` and `yara_scan`: the daemon streams its results as XDR
//! structs one after the other (the FileOut of `internal_filesystem_walk` and friends), which
//! are decoded here as they arrive.

use crate::error::{Error, Result};
use crate::handle::Handle;
use guestfs_protocol::structs::{TskDirent, YaraDetection};
use guestfs_protocol::xdr::{Xdr, XdrReader};
use std::io::Write;

/// An incomplete item longer than this means the stream is corrupt (real items are a name
/// and a few numbers).
const MAX_ITEM: usize = 1 << 20;

/// Decodes a stream of XDR items as it is written, keeping only the incomplete tail.
struct XdrItems<T> {
    pending: Vec<u8>,
    items: Vec<T>,
}

impl<T: Xdr> XdrItems<T> {
    fn new() -> XdrItems<T> {
        XdrItems {
            pending: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Decodes every complete item of `pending`.
    fn decode_pending(&mut self) {
        let mut used = 0;
        while used < self.pending.len() {
            let mut r = XdrReader::new(&self.pending[used..]);
            match T::decode(&mut r) {
                Ok(item) => {
                    used = self.pending.len() - r.remaining();
                    self.items.push(item);
                }
                // Not complete yet (or corrupt: `finish` tells them apart).
                Err(_) => break,
            }
        }
        self.pending.drain(..used);
    }

    /// The items, once the stream has ended; bytes left over mean a corrupt stream.
    fn finish(mut self, call: &str) -> Result<Vec<T>> {
        self.decode_pending();
        if !self.pending.is_empty() {
            return Err(corrupt(call));
        }
        Ok(self.items)
    }
}

/// libguestfs 1.48 fails a walk that found nothing, and reports no error for it (its decoder
/// counts an empty stream as a failed one): the error is marked as reported already, so
/// guestfish stops there without a message, as 1.48's does.
fn not_empty(dirents: Vec<TskDirent>) -> Result<Vec<TskDirent>> {
    if dirents.is_empty() {
        let mut e = Error::msg("no entries (libguestfs 1.48 fails an empty walk silently)");
        e.reported = true;
        return Err(e);
    }
    Ok(dirents)
}

fn corrupt(call: &str) -> Error {
    Error::new(
        libc::EIO,
        format!("{}: the appliance sent a corrupt list of results", call),
    )
}

impl<T: Xdr> Write for XdrItems<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.decode_pending();
        if self.pending.len() > MAX_ITEM {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "corrupt list of results",
            ));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Handle {
    pub(crate) fn impl_filesystem_walk(&mut self, device: &str) -> Result<Vec<TskDirent>> {
        let mut items = XdrItems::new();
        self.internal_filesystem_walk_to(device, &mut items)?;
        not_empty(items.finish("filesystem_walk")?)
    }

    pub(crate) fn impl_find_inode(&mut self, device: &str, inode: i64) -> Result<Vec<TskDirent>> {
        let mut items = XdrItems::new();
        self.internal_find_inode_to(device, inode, &mut items)?;
        not_empty(items.finish("find_inode")?)
    }

    pub(crate) fn impl_yara_scan(&mut self, path: &str) -> Result<Vec<YaraDetection>> {
        let mut items = XdrItems::new();
        self.internal_yara_scan_to(path, &mut items)?;
        items.finish("yara_scan")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guestfs_protocol::xdr::XdrWriter;

    fn detection(i: usize) -> YaraDetection {
        YaraDetection {
            yara_name: format!("/file{}", i),
            yara_rule: "rule".repeat(i),
        }
    }

    #[test]
    fn items_split_across_writes_are_decoded() {
        let mut w = XdrWriter::new();
        for i in 0..50 {
            detection(i).encode(&mut w);
        }
        let bytes = w.into_bytes();
        let mut items = XdrItems::<YaraDetection>::new();
        for chunk in bytes.chunks(7) {
            items.write_all(chunk).unwrap();
        }
        let got = items.finish("yara_scan").unwrap();
        assert_eq!(got.len(), 50);
        assert_eq!(got[49], detection(49));
    }

    #[test]
    fn a_truncated_stream_is_corrupt() {
        let mut w = XdrWriter::new();
        detection(3).encode(&mut w);
        let bytes = w.into_bytes();
        let mut items = XdrItems::<YaraDetection>::new();
        items.write_all(&bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(
            items.finish("yara_scan").unwrap_err().message,
            "yara_scan: the appliance sent a corrupt list of results"
        );
    }

    #[test]
    fn a_hostile_length_cannot_grow_the_buffer() {
        let mut items = XdrItems::<YaraDetection>::new();
        // A name claiming 4 GiB, then data: refused once the tail passes the limit.
        let mut bytes = vec![0xff, 0xff, 0xff, 0xf0];
        bytes.resize(MAX_ITEM + 16, 0);
        assert!(items.write_all(&bytes).is_err());
    }
}

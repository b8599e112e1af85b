//! Reads through a block map: the sparse formats (VDI, VHD, VHDX, VMDK sparse extents) split
//! the virtual disk into equal units (blocks, grains), each stored somewhere in the image
//! file, or nowhere (zeros, or the image below). A read walks the units it covers, and units
//! whose host bytes follow each other are read with one `pread`.

use super::check_range;
use std::io;

/// Where the bytes of one unit are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Piece {
    /// In the image file, from this host offset (of the unit's first byte).
    Host(u64),
    /// Nowhere: they read as zeros.
    Zero,
    /// In the image below (a parent); zeros without one.
    Lower,
    /// Somewhere only the format can read (a compressed grain), by the format's key.
    Special(u64),
}

/// A format's block map.
pub(super) trait BlockMap {
    /// The virtual disk's size in bytes.
    fn size(&self) -> u64;
    /// The unit's size in bytes (a power of two is not required; it is never 0).
    fn unit(&self) -> u64;
    /// Where unit `index` is.
    fn piece(&self, index: u64) -> io::Result<Piece>;
    /// Reads host bytes of the image file.
    fn read_host(&self, buf: &mut [u8], host: u64) -> io::Result<()>;
    /// Reads the image below at virtual offset `offset`.
    fn read_lower(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let _ = offset;
        buf.fill(0);
        Ok(())
    }
    /// Reads `buf` from a [`Piece::Special`] unit, `within` bytes into the unit.
    fn read_special(&self, buf: &mut [u8], key: u64, within: u64) -> io::Result<()> {
        let _ = (buf, key, within);
        Err(io::Error::other("no special units in this format"))
    }
}

/// A run of consecutive bytes that one operation serves.
#[derive(Clone, Copy)]
enum Run {
    Host(u64),
    Zero,
    Lower,
}

/// Reads `buf` at virtual offset `offset` through `map`.
pub(super) fn read(map: &impl BlockMap, buf: &mut [u8], offset: u64) -> io::Result<()> {
    check_range(map.size(), offset, buf.len())?;
    let unit = map.unit();
    // The pending run: its kind, where it starts in buf, its length.
    let mut pending: Option<(Run, usize, usize)> = None;
    let mut done = 0usize;
    while done < buf.len() {
        let pos = offset + done as u64;
        let (index, within) = (pos / unit, pos % unit);
        let n = ((unit - within) as usize).min(buf.len() - done);
        let run = match map.piece(index)? {
            Piece::Host(h) => Run::Host(h + within),
            Piece::Zero => Run::Zero,
            Piece::Lower => Run::Lower,
            Piece::Special(key) => {
                flush(map, buf, offset, pending.take())?;
                map.read_special(&mut buf[done..done + n], key, within)?;
                done += n;
                continue;
            }
        };
        pending = match pending {
            Some((prev, start, len)) if continues(prev, len, run) => Some((prev, start, len + n)),
            other => {
                flush(map, buf, offset, other)?;
                Some((run, done, n))
            }
        };
        done += n;
    }
    flush(map, buf, offset, pending)
}

/// Whether `next` continues a run `prev` of `len` bytes.
fn continues(prev: Run, len: usize, next: Run) -> bool {
    match (prev, next) {
        (Run::Host(a), Run::Host(b)) => a.checked_add(len as u64) == Some(b),
        (Run::Zero, Run::Zero) | (Run::Lower, Run::Lower) => true,
        _ => false,
    }
}

fn flush(
    map: &impl BlockMap,
    buf: &mut [u8],
    offset: u64,
    run: Option<(Run, usize, usize)>,
) -> io::Result<()> {
    let Some((run, start, len)) = run else {
        return Ok(());
    };
    let part = &mut buf[start..start + len];
    match run {
        Run::Host(h) => map.read_host(part, h),
        Run::Zero => {
            part.fill(0);
            Ok(())
        }
        Run::Lower => map.read_lower(part, offset + start as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Units of 4 bytes: 0 and 1 stored contiguously at 100, 2 zero, 3 lower, 4 at 10,
    /// 5 special. Host byte h reads as h; lower byte o as 200 + o.
    struct Toy {
        preads: RefCell<Vec<(u64, usize)>>,
    }

    impl BlockMap for Toy {
        fn size(&self) -> u64 {
            24
        }
        fn unit(&self) -> u64 {
            4
        }
        fn piece(&self, index: u64) -> io::Result<Piece> {
            Ok(match index {
                0 => Piece::Host(100),
                1 => Piece::Host(104),
                2 => Piece::Zero,
                3 => Piece::Lower,
                4 => Piece::Host(10),
                _ => Piece::Special(7),
            })
        }
        fn read_host(&self, buf: &mut [u8], host: u64) -> io::Result<()> {
            self.preads.borrow_mut().push((host, buf.len()));
            for (i, b) in buf.iter_mut().enumerate() {
                *b = (host + i as u64) as u8;
            }
            Ok(())
        }
        fn read_lower(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = 200 + (offset + i as u64) as u8;
            }
            Ok(())
        }
        fn read_special(&self, buf: &mut [u8], key: u64, within: u64) -> io::Result<()> {
            buf.fill((key + within) as u8);
            Ok(())
        }
    }

    #[test]
    fn contiguous_units_are_one_pread_and_the_rest_is_mapped() {
        let toy = Toy {
            preads: RefCell::new(Vec::new()),
        };
        let mut buf = [0u8; 23];
        read(&toy, &mut buf, 1).unwrap();
        assert_eq!(
            buf,
            [
                101, 102, 103, 104, 105, 106, 107, 0, 0, 0, 0, 212, 213, 214, 215, 10, 11, 12, 13,
                7, 7, 7, 7
            ]
        );
        assert_eq!(*toy.preads.borrow(), [(101, 7), (10, 4)]);
        assert!(read(&toy, &mut buf, 2).is_err());
    }
}

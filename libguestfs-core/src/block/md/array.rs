//! The assembled array as a block device: each read is split into chunk pieces, each piece
//! read from the member that holds it, or rebuilt from the others when that member is
//! missing (raid4/5 and single-degraded raid6 by XOR with P; raid1/raid10 from a copy).

use super::raid10;
use super::raid456;
use crate::block::{check_range, BlockDevice, Device};
use std::io;

/// How the array's bytes are spread over its members.
#[derive(Debug, Clone, Copy)]
pub enum Geometry {
    Raid0,
    Raid1,
    Raid10(raid10::Geometry),
    Raid456(raid456::Geometry),
}

/// An md array: `slots[role]` is the data area of the member in that role, `None` when the
/// member is missing.
pub struct ArrayDevice {
    pub(super) geometry: Geometry,
    /// In bytes (0 for raid1).
    pub(super) chunk: u64,
    pub(super) size: u64,
    pub(super) slots: Vec<Option<Device>>,
}

fn missing(what: &str) -> io::Error {
    io::Error::other(format!(
        "md array: {} is missing and cannot be rebuilt",
        what
    ))
}

impl ArrayDevice {
    fn slot(&self, i: usize) -> Option<&Device> {
        self.slots.get(i).and_then(|s| s.as_ref())
    }

    fn read_slot(&self, i: usize, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self.slot(i) {
            Some(d) => d.read_exact_at(buf, offset),
            None => Err(missing(&format!("member {}", i))),
        }
    }

    /// Reads `buf` at `offset` within the chunk `chunk` of the array (the piece does not
    /// cross a chunk boundary).
    fn read_piece(&self, buf: &mut [u8], chunk: u64, within: u64) -> io::Result<()> {
        match self.geometry {
            Geometry::Raid1 => unreachable_raid1(),
            Geometry::Raid0 => {
                let (slot, c) = super::raid0::locate(chunk, self.slots.len() as u64);
                self.read_slot(slot, buf, c * self.chunk + within)
            }
            Geometry::Raid10(g) => {
                let copies = g.copies(chunk);
                match copies.iter().find(|(s, _)| self.slot(*s).is_some()) {
                    Some(&(s, c)) => self.read_slot(s, buf, c * self.chunk + within),
                    None => Err(missing(&format!("every copy of chunk {}", chunk))),
                }
            }
            Geometry::Raid456(g) => {
                let place = g.locate(chunk);
                let at = place.stripe * self.chunk + within;
                if self.slot(place.data).is_some() {
                    return self.read_slot(place.data, buf, at);
                }
                // Rebuild from P: the XOR of every other member except Q.
                if self.slot(place.parity).is_none() {
                    return Err(missing(&format!("member {} and its parity", place.data)));
                }
                buf.fill(0);
                let mut other = vec![0u8; buf.len()];
                for s in 0..self.slots.len() {
                    if s == place.data || Some(s) == place.q {
                        continue;
                    }
                    self.read_slot(s, &mut other, at)?;
                    for (b, o) in buf.iter_mut().zip(&other) {
                        *b ^= o;
                    }
                }
                Ok(())
            }
        }
    }
}

/// raid1 reads whole ranges and never calls [`ArrayDevice::read_piece`].
fn unreachable_raid1() -> io::Result<()> {
    Err(io::Error::other("md array: raid1 read split into chunks"))
}

impl BlockDevice for ArrayDevice {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size, offset, buf.len())?;
        if let Geometry::Raid1 = self.geometry {
            // Any in-sync member holds every byte.
            return match self.slots.iter().flatten().next() {
                Some(d) => d.read_exact_at(buf, offset),
                None => Err(missing("every member")),
            };
        }
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let (chunk, within) = (pos / self.chunk, pos % self.chunk);
            let n = ((self.chunk - within) as usize).min(buf.len() - done);
            self.read_piece(&mut buf[done..done + n], chunk, within)?;
            done += n;
        }
        Ok(())
    }
}

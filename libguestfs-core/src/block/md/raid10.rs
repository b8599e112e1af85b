//! raid10: the kernel's raid10 layouts (`raid10_find_phys`): `near` copies of each chunk on
//! neighbouring members, `far` copies in further regions of the members (`offset` puts them
//! in the next chunk row instead). Far sets (layout bit 17) are refused by the caller.

/// A raid10 geometry, in chunks.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub raid_disks: u64,
    pub near: u64,
    pub far: u64,
    pub offset: bool,
    /// Chunks between far copies on a member.
    pub stride: u64,
}

impl Geometry {
    /// From the superblock's layout word, disk count and per-member size in chunks; `None`
    /// for layouts the kernel would refuse.
    pub fn new(layout: u32, raid_disks: u64, dev_chunks: u64) -> Option<Geometry> {
        let near = u64::from(layout & 0xff);
        let far = u64::from((layout >> 8) & 0xff);
        let offset = layout & (1 << 16) != 0;
        if layout >> 17 != 0 || near == 0 || far == 0 || near * far > raid_disks {
            return None;
        }
        // calc_sectors: the chunks the array holds, then the chunks used per member.
        let array_chunks = dev_chunks / far * raid_disks / near;
        let used = (array_chunks * near * far).div_ceil(raid_disks);
        let stride = if offset { 1 } else { used / far };
        Some(Geometry {
            raid_disks,
            near,
            far,
            offset,
            stride,
        })
    }

    /// Array size in chunks (raid10_size).
    pub fn array_chunks(&self, dev_chunks: u64) -> u64 {
        dev_chunks / self.far * self.raid_disks / self.near
    }

    /// Every copy of array chunk `chunk`: (slot, chunk index on that member).
    pub fn copies(&self, chunk: u64) -> Vec<(usize, u64)> {
        let first = chunk * self.near;
        let mut stripe = first / self.raid_disks;
        let mut dev = first % self.raid_disks;
        if self.offset {
            stripe *= self.far;
        }
        let mut out = Vec::new();
        for _ in 0..self.near {
            let mut d = dev;
            let mut s = stripe;
            out.push((d as usize, s));
            for _ in 1..self.far {
                d = (d + self.near) % self.raid_disks;
                s += self.stride;
                out.push((d as usize, s));
            }
            dev += 1;
            if dev >= self.raid_disks {
                dev = 0;
                stripe += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near2_on_four() {
        let g = Geometry::new(0x102, 4, 100).unwrap();
        assert_eq!(g.copies(0), vec![(0, 0), (1, 0)]);
        assert_eq!(g.copies(1), vec![(2, 0), (3, 0)]);
        assert_eq!(g.copies(2), vec![(0, 1), (1, 1)]);
    }

    #[test]
    fn far2_on_two() {
        let g = Geometry::new(0x201, 2, 100).unwrap();
        assert_eq!(g.copies(0), vec![(0, 0), (1, 50)]);
        assert_eq!(g.copies(1), vec![(1, 0), (0, 50)]);
    }

    #[test]
    fn offset2_on_two() {
        let g = Geometry::new(0x10201, 2, 100).unwrap();
        assert_eq!(g.copies(0), vec![(0, 0), (1, 1)]);
        assert_eq!(g.copies(1), vec![(1, 0), (0, 1)]);
        assert_eq!(g.copies(2), vec![(0, 2), (1, 3)]);
    }
}

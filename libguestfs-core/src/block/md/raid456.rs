//! raid4, raid5 and raid6: stripes of data chunks plus parity (P, and Q for raid6), placed
//! by the layout (the kernel's `raid5_compute_sector`).

/// Where one data chunk and its stripe's parity are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The member holding the chunk.
    pub data: usize,
    /// The member holding P.
    pub parity: usize,
    /// The member holding Q (raid6).
    pub q: Option<usize>,
    /// The stripe: the chunk index on every member.
    pub stripe: u64,
}

/// A raid4/5/6 geometry.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub level: i32,
    pub layout: u32,
    pub raid_disks: u64,
}

impl Geometry {
    /// `None` for a layout the kernel does not know at this level.
    pub fn new(level: i32, layout: u32, raid_disks: u64) -> Option<Geometry> {
        let ok = match level {
            4 => raid_disks >= 2,
            5 => layout <= 5 && raid_disks >= 2,
            6 => matches!(layout, 0..=5 | 8..=10 | 16..=20) && raid_disks >= 4,
            _ => false,
        };
        ok.then_some(Geometry {
            level,
            layout,
            raid_disks,
        })
    }

    pub fn data_disks(&self) -> u64 {
        self.raid_disks - if self.level == 6 { 2 } else { 1 }
    }

    /// Where array data chunk `chunk` is.
    pub fn locate(&self, chunk: u64) -> Place {
        let n = self.raid_disks;
        let data_disks = self.data_disks();
        let stripe = chunk / data_disks;
        let mut dd = chunk % data_disks;
        let (pd, qd);
        if self.level == 4 {
            pd = data_disks;
            qd = None;
        } else if self.level == 5 {
            let r = stripe % n;
            match self.layout {
                0 => {
                    pd = data_disks - r;
                    if dd >= pd {
                        dd += 1;
                    }
                }
                1 => {
                    pd = r;
                    if dd >= pd {
                        dd += 1;
                    }
                }
                2 => {
                    pd = data_disks - r;
                    dd = (pd + 1 + dd) % n;
                }
                3 => {
                    pd = r;
                    dd = (pd + 1 + dd) % n;
                }
                4 => {
                    pd = 0;
                    dd += 1;
                }
                _ => pd = data_disks,
            }
            qd = None;
        } else {
            let r = stripe % n;
            let r1 = stripe % (n - 1);
            let (p, q) = match self.layout {
                // left/right asymmetric and the DDF restart layouts: Q follows P, wrapping
                // to member 0 when P is on the last member.
                0 | 1 | 8 | 9 => {
                    let p = if matches!(self.layout, 1 | 8) {
                        r
                    } else {
                        n - 1 - r
                    };
                    if p == n - 1 {
                        dd += 1;
                        (p, 0)
                    } else {
                        if dd >= p {
                            dd += 2;
                        }
                        (p, p + 1)
                    }
                }
                2 | 3 => {
                    let p = if self.layout == 3 { r } else { n - 1 - r };
                    dd = (p + 2 + dd) % n;
                    (p, (p + 1) % n)
                }
                4 => {
                    dd += 2;
                    (0, 1)
                }
                5 => (data_disks, data_disks + 1),
                10 => {
                    let p = n - 1 - r;
                    dd = (p + 1 + dd) % n;
                    (p, (p + n - 1) % n)
                }
                16 | 17 => {
                    let p = if self.layout == 17 {
                        r1
                    } else {
                        data_disks - r1
                    };
                    if dd >= p {
                        dd += 1;
                    }
                    (p, n - 1)
                }
                18 | 19 => {
                    let p = if self.layout == 19 {
                        r1
                    } else {
                        data_disks - r1
                    };
                    dd = (p + 1 + dd) % (n - 1);
                    (p, n - 1)
                }
                _ => {
                    dd += 1;
                    (0, n - 1)
                }
            };
            pd = p;
            qd = Some(q as usize);
        }
        Place {
            data: dd as usize,
            parity: pd as usize,
            q: qd,
            stripe,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stripe puts its data chunks and parity on distinct members.
    #[test]
    fn every_layout_is_a_permutation() {
        for (level, layouts) in [
            (4, vec![0]),
            (5, (0..=5).collect::<Vec<u32>>()),
            (6, vec![0, 1, 2, 3, 4, 5, 8, 9, 10, 16, 17, 18, 19, 20]),
        ] {
            for layout in layouts {
                for n in 4..8u64 {
                    let g = Geometry::new(level, layout, n).unwrap();
                    let dd = g.data_disks();
                    for stripe in 0..20 {
                        let mut seen = vec![false; n as usize];
                        let first = g.locate(stripe * dd);
                        seen[first.parity] = true;
                        if let Some(q) = first.q {
                            assert!(!seen[q]);
                            seen[q] = true;
                        }
                        for c in 0..dd {
                            let p = g.locate(stripe * dd + c);
                            assert_eq!(p.stripe, stripe);
                            assert!(!seen[p.data], "level {} layout {}", level, layout);
                            seen[p.data] = true;
                        }
                        assert!(seen.iter().all(|&s| s));
                    }
                }
            }
        }
    }

    #[test]
    fn left_symmetric_raid5() {
        let g = Geometry::new(5, 2, 4).unwrap();
        let p = g.locate(0);
        assert_eq!((p.data, p.parity), (0, 3));
        let p = g.locate(3);
        assert_eq!((p.data, p.parity, p.stripe), (3, 2, 1));
    }
}

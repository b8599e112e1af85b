//! `-N [FILENAME=]TYPE[:PARAM…]`: prepared disk images. The file is created (sparse, raw) when
//! the option is read; after launch the disk is partitioned and formatted on its device.

use super::commands::alloc::{alloc_disk, parse_size};
use super::session::{stderr_line, Exit, Failed, Fish};
use guestfs::MkfsOpts;

/// A parameter of a prepared disk type: name, default, meaning.
struct Param {
    name: &'static str,
    default: &'static str,
    meaning: &'static str,
}

/// A prepared disk type.
pub struct PrepType {
    name: &'static str,
    summary: &'static str,
    description: &'static str,
    params: &'static [Param],
}

const SIZE: Param = Param {
    name: "size",
    default: "1G",
    meaning: "the size of the disk image",
};
const PARTITION: Param = Param {
    name: "partition",
    default: "mbr",
    meaning: "partition table type",
};
const FILESYSTEM: Param = Param {
    name: "filesystem",
    default: "ext2",
    meaning: "the type of filesystem to use",
};
const LV_NAME: Param = Param {
    name: "name",
    default: "/dev/VG/LV",
    meaning: "the name of the VG and LV to use",
};
const BOOTFS: Param = Param {
    name: "bootfs",
    default: "ext2",
    meaning: "the type of filesystem to use for boot",
};
const ROOTFS: Param = Param {
    name: "rootfs",
    default: "ext2",
    meaning: "the type of filesystem to use for root",
};
const BOOTSIZE: Param = Param {
    name: "bootsize",
    default: "128M",
    meaning: "the size of the boot filesystem",
};

/// The types, in the order `-N` matches abbreviations against them.
pub static TYPES: &[PrepType] = &[
    PrepType {
        name: "disk",
        summary: "create a blank disk",
        description: "A disk of the given size (1G unless a size is given) with nothing on it.",
        params: &[SIZE],
    },
    PrepType {
        name: "part",
        summary: "create a partitioned disk",
        description: "A disk with a partition table (MBR unless another type is given) and one\n\
                      partition covering the disk.",
        params: &[SIZE, PARTITION],
    },
    PrepType {
        name: "fs",
        summary: "create a filesystem",
        description:
            "A disk with one partition holding an empty filesystem: by default ext2 on a\n\
                      1G disk with an MBR partition table.",
        params: &[FILESYSTEM, SIZE, PARTITION],
    },
    PrepType {
        name: "lv",
        summary: "create a disk with logical volume",
        description: "A disk with one partition made an LVM physical volume, holding a volume\n\
                      group with one logical volume using all its space (/dev/VG/LV unless\n\
                      another name is given). No filesystem is made: see lvfs for that.",
        params: &[LV_NAME, SIZE, PARTITION],
    },
    PrepType {
        name: "lvfs",
        summary: "create a disk with logical volume and filesystem",
        description: "As lv, and the logical volume is formatted with a filesystem (ext2 unless\n\
                      another type is given).",
        params: &[LV_NAME, FILESYSTEM, SIZE, PARTITION],
    },
    PrepType {
        name: "bootroot",
        summary: "create a boot and root filesystem",
        description: "A disk with two partitions, a small boot filesystem and a root filesystem\n\
                      filling the rest; the types and sizes can be chosen.",
        params: &[BOOTFS, ROOTFS, SIZE, BOOTSIZE, PARTITION],
    },
    PrepType {
        name: "bootrootlv",
        summary: "create a boot and root filesystem using LVM",
        description: "As bootroot, but the root filesystem is on a logical volume (/dev/VG/LV\n\
                      unless another name is given) in the second partition.",
        params: &[LV_NAME, BOOTFS, ROOTFS, SIZE, BOOTSIZE, PARTITION],
    },
];

/// `-N help`.
pub fn list() -> String {
    let mut s = String::from("List of available prepared disk images:\n\n");
    for t in TYPES {
        s.push_str(&format!("guestfish -N {:<8} - {}\n\n", t.name, t.summary));
        for line in t.description.lines() {
            s.push_str(&format!("  {}\n", line));
        }
        if !t.params.is_empty() {
            s.push_str("\n  Optional parameters:\n");
            s.push_str(&format!("    -N {}", t.name));
            for p in t.params {
                s.push_str(&format!(":<{}>", p.name));
            }
            s.push('\n');
            for p in t.params {
                s.push_str(&format!(
                    "      <{}> {} (default: {})\n",
                    p.name, p.meaning, p.default
                ));
            }
        }
        s.push('\n');
    }
    s.push_str(
        "Prepared disk images are written to file \"test1.img\" in the local\n\
         directory.  (\"test2.img\" etc if -N option is given multiple times).\n\
         You can override the name by providing a filename before the type, eg:\n\
         \n\
         \x20 guestfish -N blank.img=fs\n\
         \n\
         For more information see the guestfish(1) manual.\n",
    );
    s
}

/// A `-N` disk: its file, type and parameters.
pub struct Prepared {
    pub filename: String,
    /// The option's text after `FILENAME=`, for messages.
    type_string: String,
    kind: &'static PrepType,
    params: Vec<String>,
}

impl Prepared {
    /// Reads `TYPE[:PARAM…]`; an unknown type ends guestfish.
    pub fn parse(type_string: &str, filename: &str) -> Result<Prepared, Exit> {
        let (name, rest) = match type_string.split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (type_string, None),
        };
        let kind = TYPES.iter().find(|t| {
            t.name.len() >= name.len() && t.name[..name.len()].eq_ignore_ascii_case(name)
        });
        let Some(kind) = kind else {
            super::session::error(&format!(
                "-N parameter ‘{}’: no such prepared disk image known.\n\
                 Use 'guestfish -N help' to list possible values for the -N parameter.",
                type_string
            ));
            return Err(1);
        };
        let mut params: Vec<String> = kind.params.iter().map(|p| p.default.to_string()).collect();
        if let Some(rest) = rest {
            let given: Vec<&str> = rest.split(':').collect();
            if given.len() > params.len() {
                super::session::error(&format!(
                    "-N parameter ‘{}’: too many parameters for ‘{}’ (at most {})",
                    type_string,
                    kind.name,
                    params.len()
                ));
                return Err(1);
            }
            for (slot, v) in params.iter_mut().zip(given) {
                *slot = v.to_string();
            }
        }
        Ok(Prepared {
            filename: filename.to_string(),
            type_string: type_string.to_string(),
            kind,
            params,
        })
    }

    fn param(&self, name: &str) -> &str {
        self.kind
            .params
            .iter()
            .position(|p| p.name == name)
            .map(|i| self.params[i].as_str())
            .unwrap_or("")
    }

    /// `guestfish: error creating prepared disk image ‘TYPE’ on ‘FILE’: WHAT`; exit 1.
    fn fail(&self, what: &str) -> Exit {
        stderr_line(&format!(
            "guestfish: error creating prepared disk image ‘{}’ on ‘{}’: {}",
            self.type_string, self.filename, what
        ));
        1
    }

    /// What the handle's last error said, for the messages.
    fn last_error(fish: &Fish) -> String {
        fish.g
            .last_error()
            .map(|e| e.message.clone())
            .unwrap_or_default()
    }

    /// Before launch: checks the LV name and creates the sparse file.
    pub fn create_file(&self, fish: &mut Fish) -> Result<(), Exit> {
        if self.kind.params.iter().any(|p| p.name == "name") && vg_lv(self.param("name")).is_none()
        {
            return Err(self.fail("incorrect format for LV name, use '/dev/VG/LV'"));
        }
        alloc_disk(fish, &self.filename, self.param("size"), false, true)
            .map_err(|Failed| self.fail("failed to allocate disk"))
    }

    /// After launch: partitions and formats `device`.
    pub fn prepare(&self, fish: &mut Fish, device: &str) -> Result<(), Exit> {
        let step = |fish: &mut Fish, r: guestfs::Result<()>, what: &str| -> Result<(), Exit> {
            r.map_err(|_| self.fail(&format!("{}: {}", what, Self::last_error(fish))))
        };
        let part1 = format!("{}1", device);
        match self.kind.name {
            "disk" => Ok(()),
            "part" => {
                let r = fish.g.part_disk(device, self.param("partition"));
                step(fish, r, "failed to partition disk")
            }
            "fs" => {
                let r = fish.g.part_disk(device, self.param("partition"));
                step(fish, r, "failed to partition disk")?;
                let fs = self.param("filesystem");
                let r = fish.g.mkfs(fs, &part1, MkfsOpts::default());
                step(fish, r, &format!("failed to create filesystem ({})", fs))
            }
            "lv" | "lvfs" => {
                let r = fish.g.part_disk(device, self.param("partition"));
                step(fish, r, "failed to partition disk")?;
                self.make_lv(fish, &part1)?;
                if self.kind.name == "lvfs" {
                    let fs = self.param("filesystem");
                    let r = fish.g.mkfs(fs, self.param("name"), MkfsOpts::default());
                    step(fish, r, &format!("failed to create filesystem ({})", fs))?;
                }
                Ok(())
            }
            _ => {
                // bootroot, bootrootlv: a boot partition from sector 64, the rest for root.
                let bootsize = parse_size(self.param("bootsize"))
                    .map_err(|Failed| self.fail("could not parse boot size"))?;
                let sector = fish.g.blockdev_getss(device);
                let sector = match sector {
                    Ok(s) if s > 0 => s as u64,
                    _ => {
                        return Err(self.fail(&format!(
                            "failed to get sector size of disk: {}",
                            Self::last_error(fish)
                        )))
                    }
                };
                let r = fish.g.part_init(device, self.param("partition"));
                step(fish, r, "failed to partition disk")?;
                let last_boot = 64 + (bootsize / sector) as i64 - 1;
                let r = fish.g.part_add(device, "primary", 64, last_boot);
                step(fish, r, "failed to add boot partition")?;
                let r = fish.g.part_add(device, "primary", last_boot + 1, -64);
                step(fish, r, "failed to add root partition")?;
                let r = fish
                    .g
                    .mkfs(self.param("bootfs"), &part1, MkfsOpts::default());
                step(fish, r, "failed to create boot filesystem")?;
                let part2 = format!("{}2", device);
                let root_device = if self.kind.name == "bootrootlv" {
                    self.make_lv(fish, &part2)?;
                    self.param("name").to_string()
                } else {
                    part2
                };
                let r = fish
                    .g
                    .mkfs(self.param("rootfs"), &root_device, MkfsOpts::default());
                step(fish, r, "failed to create root filesystem")
            }
        }
    }

    /// A PV on `part`, a VG on it and an LV using all of it, named by the `name` parameter.
    fn make_lv(&self, fish: &mut Fish, part: &str) -> Result<(), Exit> {
        let Some((vg, lv)) = vg_lv(self.param("name")) else {
            return Err(self.fail("incorrect format for LV name, use '/dev/VG/LV'"));
        };
        if fish.g.pvcreate(part).is_err() {
            return Err(self.fail(&format!(
                "failed to create PV: {}: {}",
                part,
                Self::last_error(fish)
            )));
        }
        if fish.g.vgcreate(&vg, &[part.to_string()]).is_err() {
            return Err(self.fail(&format!(
                "failed to create VG: {}: {}",
                vg,
                Self::last_error(fish)
            )));
        }
        if fish.g.lvcreate_free(&lv, &vg, 100).is_err() {
            return Err(self.fail(&format!(
                "failed to create LV: /dev/{}/{}: {}",
                vg,
                lv,
                Self::last_error(fish)
            )));
        }
        Ok(())
    }
}

/// `/dev/VG/LV` (or `VG/LV`) split into VG and LV.
fn vg_lv(name: &str) -> Option<(String, String)> {
    let name = name.strip_prefix("/dev/").unwrap_or(name);
    let (vg, lv) = name.split_once('/')?;
    Some((vg.to_string(), lv.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_match_abbreviations_in_order() {
        let p = |s: &str| Prepared::parse(s, "t.img").map(|p| p.kind.name);
        assert_eq!(p("fs"), Ok("fs"));
        assert_eq!(p("FS:ext4"), Ok("fs"));
        assert_eq!(p("b"), Ok("bootroot"));
        assert_eq!(p("l"), Ok("lv"));
        assert_eq!(p("bootrootlv"), Ok("bootrootlv"));
        assert_eq!(p(""), Ok("disk"));
        assert!(p("fsx").is_err());
    }

    #[test]
    fn parameters_fill_in_order() {
        let p = Prepared::parse("fs:ext4:64M", "t.img").unwrap();
        assert_eq!(p.params, ["ext4", "64M", "mbr"]);
        let p = Prepared::parse("lv:/dev/V/L::gpt", "t.img").unwrap();
        assert_eq!(p.params, ["/dev/V/L", "", "gpt"]);
        assert!(Prepared::parse("disk:1G:extra", "t.img").is_err());
        assert_eq!(vg_lv("/dev/VG/LV"), Some(("VG".into(), "LV".into())));
        assert_eq!(vg_lv("LV"), None);
    }

    #[test]
    fn help_lists_every_type() {
        let l = list();
        assert!(l.starts_with("List of available prepared disk images:\n\nguestfish -N disk     - create a blank disk\n\n"));
        assert!(l.contains("    -N fs:<filesystem>:<size>:<partition>\n      <filesystem> the type of filesystem to use (default: ext2)\n"));
        assert!(l.ends_with("For more information see the guestfish(1) manual.\n"));
    }
}

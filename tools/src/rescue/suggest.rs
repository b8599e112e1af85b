//! `virt-rescue --suggest`: inspect the disks read-only and print the mount commands to type
//! at the rescue prompt, without starting a shell.

use crate::common::Ctx;
use std::io::Write;

pub fn run(ctx: &Ctx) -> i32 {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(b"Inspecting the virtual machine or disk image ...\n\n");
    let _ = out.flush();
    let mut g = match ctx.launch(true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let Ok(roots) = g.inspect_os() else {
        return 1;
    };
    let text = if roots.is_empty() {
        match g.list_filesystems() {
            Ok(fses) => filesystems(&fses),
            Err(_) => return 1,
        }
    } else {
        let mut text = String::from(
            "This disk contains one or more operating systems.  You can use these mount\n\
             commands in virt-rescue (at the ><rescue> prompt) to mount the filesystems.\n\n",
        );
        for root in &roots {
            g.push_error_handler_quiet();
            let os = Os {
                root: root.clone(),
                kind: g.inspect_get_type(root).ok(),
                distro: g.inspect_get_distro(root).ok(),
                product_name: g.inspect_get_product_name(root).ok(),
                major: g.inspect_get_major_version(root).unwrap_or(-1),
                minor: g.inspect_get_minor_version(root).unwrap_or(-1),
            };
            g.pop_error_handler();
            let Ok(mountpoints) = g.inspect_get_mountpoints(root) else {
                return 1;
            };
            text.push_str(&os.suggestion(mountpoints));
        }
        text
    };
    let _ = out.write_all(text.as_bytes());
    0
}

/// What the suggestion says of one operating system.
struct Os {
    root: String,
    kind: Option<String>,
    distro: Option<String>,
    product_name: Option<String>,
    major: i32,
    minor: i32,
}

impl Os {
    fn suggestion(&self, mut mountpoints: Vec<(String, String)>) -> String {
        let kind = self.kind.as_deref().unwrap_or("unknown");
        let mut s = format!(
            "# {} is the root of a {} operating system\n# type: {}, distro: {}, version: {}.{}\n# {}\n\n",
            self.root,
            kind,
            kind,
            self.distro.as_deref().unwrap_or("unknown"),
            self.major,
            self.minor,
            self.product_name.as_deref().unwrap_or("")
        );
        // Shortest mount point first, so that each is mounted after its parent.
        mountpoints.sort_by_key(|(mp, _)| mp.len());
        for (mp, dev) in &mountpoints {
            s.push_str(&format!("mount {} /sysroot{}\n", dev, mp));
        }
        if kind == "linux" {
            s.push_str(
                "mount --rbind /dev /sysroot/dev\nmount --rbind /proc /sysroot/proc\n\
                 mount --rbind /sys /sysroot/sys\n\ncd /sysroot\nchroot /sysroot\n",
            );
        }
        s.push('\n');
        s
    }
}

/// No operating system: each filesystem, and a mount command for those that can be mounted.
fn filesystems(fses: &[(String, String)]) -> String {
    let mountable = |t: &str| t != "swap" && t != "unknown";
    if !fses.iter().any(|(_, t)| mountable(t)) {
        return "This disk contains no mountable filesystems that we recognize.\n\n\
                However you can still use virt-rescue on the disk image, to try to mount\n\
                filesystems that are not recognized by libguestfs, or to create partitions,\n\
                logical volumes and filesystems on a blank disk.\n"
            .to_string();
    }
    let mut s = String::from(
        "This disk contains one or more filesystems, but we don’t recognize any\n\
         operating system.  You can use these mount commands in virt-rescue (at the\n\
         ><rescue> prompt) to mount these filesystems.\n\n",
    );
    for (dev, t) in fses {
        s.push_str(&format!("# {} has type ‘{}’\n", dev, t));
        if mountable(t) {
            s.push_str(&format!("mount {} /sysroot\n", dev));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_go_parents_first_then_the_bind_mounts() {
        let os = Os {
            root: "/dev/sda2".into(),
            kind: Some("linux".into()),
            distro: Some("debian".into()),
            product_name: Some("12.0".into()),
            major: 12,
            minor: 0,
        };
        let text = os.suggestion(vec![
            ("/boot".into(), "/dev/sda1".into()),
            ("/".into(), "/dev/sda2".into()),
        ]);
        assert!(text.starts_with(
            "# /dev/sda2 is the root of a linux operating system\n# type: linux, distro: debian, version: 12.0\n# 12.0\n\nmount /dev/sda2 /sysroot/\nmount /dev/sda1 /sysroot/boot\nmount --rbind /dev"
        ));
        assert!(text.ends_with("chroot /sysroot\n\n"));
    }

    #[test]
    fn swap_and_unknown_get_no_mount_command() {
        let text = filesystems(&[
            ("/dev/sda1".into(), "ext4".into()),
            ("/dev/sda2".into(), "swap".into()),
        ]);
        assert!(text.contains("# /dev/sda1 has type ‘ext4’\nmount /dev/sda1 /sysroot\n\n"));
        assert!(text.contains("# /dev/sda2 has type ‘swap’\n\n"));
        assert!(filesystems(&[("/dev/sda".into(), "unknown".into())])
            .starts_with("This disk contains no mountable"));
    }
}

//! Mounting the guest for tools that read files: the `-m` options, or inspection (the `-i`
//! behaviour) with the guest's own mountpoints; and Windows path rewriting.

use super::{Ctx, Exit, KeySelector};
use guestfs::Handle;

const ADVICE_HEAD: &str = "\nIf using guestfish ‘-i’ option, remove this option and instead\nuse the commands ‘run’ followed by ‘list-filesystems’.\nYou can then mount filesystems you want by hand using the\n‘mount’ or ‘mount-ro’ command.\n\nIf using guestmount ‘-i’, remove this option and choose the\nfilesystem(s) you want to see by manually adding ‘-m’ option(s).\nUse ‘virt-filesystems’ to see what filesystems are available.\n\n";

/// A Windows guest found by inspection: user paths are rewritten (drive letters,
/// backslashes, case).
pub struct WindowsGuest {
    root: String,
}

/// Sorts mountpoints so parents are mounted before their children: by length, then bytes.
pub fn sort_mountpoints(mps: &mut [(String, String)]) {
    mps.sort_by(|a, b| {
        a.0.len()
            .cmp(&b.0.len())
            .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
    });
}

impl Ctx {
    /// Mounts the `-m` options, or inspects and mounts the guest's filesystems. Returns the
    /// Windows guest when inspection found one.
    pub fn mount_guest(
        &self,
        g: &mut Handle,
        readonly: bool,
    ) -> Result<Option<WindowsGuest>, Exit> {
        if !self.mounts.is_empty() {
            self.mount_specs(g, readonly)?;
            return Ok(None);
        }
        let root = self.inspect_and_mount(g, readonly)?;
        g.push_error_handler_quiet();
        let os_type = g.inspect_get_type(&root).unwrap_or_default();
        g.pop_error_handler();
        Ok((os_type == "windows").then_some(WindowsGuest { root }))
    }

    /// Inspects the disks, requires exactly one OS, and mounts its filesystems the way the
    /// guest would (read-only for read-only tools). Returns the root.
    pub fn inspect_and_mount(&self, g: &mut Handle, readonly: bool) -> Result<String, Exit> {
        self.decrypt(g)?;
        let roots = g.inspect_os().map_err(|_| 1)?;
        if roots.is_empty() {
            eprintln!(
                "{}: no operating system was found on this disk\n{}If using other virt tools, this disk image won’t work\nwith these tools.  Use the guestfish equivalent commands\n(see the virt tool manual page).",
                self.prog, ADVICE_HEAD
            );
            return Err(1);
        }
        if roots.len() > 1 {
            eprintln!(
                "{}: multi-boot operating systems are not supported\n{}If using other virt tools, multi-boot operating systems won’t work\nwith these tools.  Use the guestfish equivalent commands\n(see the virt tool manual page).",
                self.prog, ADVICE_HEAD
            );
            return Err(1);
        }
        let root = roots[0].clone();
        let mut mountpoints = g.inspect_get_mountpoints(&root).map_err(|_| 1)?;
        sort_mountpoints(&mut mountpoints);
        let mut errors = 0;
        for (mp, dev) in &mountpoints {
            let r = if readonly {
                g.mount_ro(dev, mp)
            } else {
                g.mount(dev, mp)
            };
            if r.is_err() {
                if mp == "/" {
                    return Err(1);
                }
                errors += 1;
            }
        }
        if errors > 0 {
            eprintln!(
                "{}: some filesystems could not be mounted (ignored)",
                self.prog
            );
        }
        Ok(root)
    }

    /// guestfish `-i` for the wrapper tools: the `-m` options if given, else inspection.
    pub fn mount_guest_for_fish(&self, g: &mut Handle) -> Result<(), Exit> {
        if !self.mounts.is_empty() {
            return self.mount_specs(g, true);
        }
        self.inspect_and_mount(g, true).map(|_| ())
    }

    /// Opens encrypted devices before inspection with the `--key` options (or a prompt), as
    /// 1.48's `inspect_do_decrypt` does: the disks and partitions, then, after a rescan for
    /// the volume groups they held, the logical volumes (LUKS inside an LV).
    pub fn decrypt(&self, g: &mut Handle) -> Result<(), Exit> {
        let mut candidates = g.list_devices().map_err(|_| 1)?;
        candidates.extend(g.list_partitions().map_err(|_| 1)?);
        if self.decrypt_devices(g, &candidates)? {
            g.lvm_scan(true).map_err(|_| 1)?;
        }
        let lvs = g.lvs().map_err(|_| 1)?;
        self.decrypt_devices(g, &lvs)?;
        Ok(())
    }

    /// Opens those of `devices` that are LUKS or BitLocker volumes; true if it opened any.
    fn decrypt_devices(&self, g: &mut Handle, devices: &[String]) -> Result<bool, Exit> {
        let mut opened = false;
        for dev in devices {
            g.push_error_handler_quiet();
            let vfs_type = g.vfs_type(dev).unwrap_or_default();
            // cryptsetup cannot read a BitLocker volume's UUID: 1.48 asks only LUKS.
            let uuid = if vfs_type == "crypto_LUKS" {
                g.luks_uuid(dev).unwrap_or_default()
            } else {
                String::new()
            };
            g.pop_error_handler();
            if vfs_type != "crypto_LUKS" && vfs_type != "BitLocker" {
                continue;
            }
            let mapname = if uuid.is_empty() {
                crypt_mapname(dev)
            } else {
                format!("luks-{}", uuid)
            };
            let keys = self.keys_for(dev, &uuid)?;
            let mut last_error = None;
            for key in keys {
                g.push_error_handler_quiet();
                let r = g.cryptsetup_open(dev, &key, &mapname, Default::default());
                g.pop_error_handler();
                match r {
                    Ok(()) => {
                        last_error = None;
                        opened = true;
                        break;
                    }
                    Err(e) => last_error = Some(e),
                }
            }
            if let Some(e) = last_error {
                eprintln!(
                    "{}: could not find key to open LUKS encrypted {}.\n\nTry using --key on the command line.\n\nOriginal error: {} ({})",
                    self.prog, dev, e.message, e.errno
                );
                return Err(1);
            }
        }
        Ok(opened)
    }

    /// The passphrases to try for a device: the `--key` options naming it (by device, UUID or
    /// `all`), else one read from the terminal (or stdin with `--keys-from-stdin`).
    fn keys_for(&self, device: &str, uuid: &str) -> Result<Vec<String>, Exit> {
        let mut keys = Vec::new();
        for k in &self.keys {
            let id = match k {
                KeySelector::Key { id, .. } | KeySelector::File { id, .. } => id,
            };
            if id != device && id != uuid && id != "all" {
                continue;
            }
            match k {
                KeySelector::Key { key, .. } => keys.push(key.clone()),
                KeySelector::File { file, .. } => {
                    // 1.48 reads the key file's first line.
                    let text = std::fs::read(file).map_err(|e| {
                        eprintln!("{}: fopen: {}: {}", self.prog, file, super::os_error(&e));
                        1
                    })?;
                    let first = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
                    keys.push(String::from_utf8_lossy(first).into_owned());
                }
            }
        }
        if keys.is_empty() {
            let key =
                super::keys::read_key(device, self.flag("keys-from-stdin"), self.flag("echo-keys"));
            keys.push(match key {
                Ok(k) => k.unwrap_or_default(),
                Err(e) => {
                    eprintln!("{}: error reading passphrase: {}", self.prog, e);
                    return Err(1);
                }
            });
        }
        Ok(keys)
    }
}

/// The device-mapper name for an opened device whose LUKS UUID cannot be read (or a
/// BitLocker volume), as 1.48 makes it: `crypt` and the device name's letters and digits
/// (`/dev/sda2` → `cryptsda2`, `/dev/VG/LV1` → `cryptVGLV1`).
fn crypt_mapname(device: &str) -> String {
    let name = device.strip_prefix("/dev/").unwrap_or(device);
    format!(
        "crypt{}",
        name.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    )
}

impl WindowsGuest {
    /// Rewrites a user path for a Windows guest (tools.md §1.7): a drive letter selects the
    /// filesystem, `\` becomes `/`, and the case is corrected.
    pub fn rewrite_path(
        &self,
        ctx: &Ctx,
        g: &mut Handle,
        path: &str,
        readonly: bool,
    ) -> Result<String, Exit> {
        let bytes = path.as_bytes();
        let rest = if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
            let letter = (bytes[0] as char).to_ascii_lowercase();
            let drives = g.inspect_get_drive_mappings(&self.root).map_err(|_| 1)?;
            if drives.is_empty() {
                eprintln!(
                    "{}: to use Windows drive letters, this must be a Windows guest",
                    ctx.prog
                );
                return Err(1);
            }
            let device = drives
                .iter()
                .find(|(l, _)| l.len() == 1 && l.to_ascii_lowercase().starts_with(letter))
                .map(|(_, d)| d.clone());
            let Some(device) = device else {
                eprintln!("{}: drive '{}:' not found.", ctx.prog, letter);
                return Err(1);
            };
            g.umount_all().map_err(|_| 1)?;
            let r = if readonly {
                g.mount_ro(&device, "/")
            } else {
                g.mount(&device, "/")
            };
            r.map_err(|_| 1)?;
            path[2..].to_string()
        } else if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        };
        let rest = rest.replace('\\', "/");
        g.case_sensitive_path(&rest).map_err(|_| 1)
    }
}

#[cfg(test)]
mod tests {
    use super::crypt_mapname;

    #[test]
    fn crypt_mapnames_keep_letters_and_digits() {
        assert_eq!(crypt_mapname("/dev/sda2"), "cryptsda2");
        assert_eq!(crypt_mapname("/dev/vg-ssd/lv-root7"), "cryptvgssdlvroot7");
    }
}

//! Encrypted volumes (LUKS, BitLocker) opened and closed with cryptsetup, as 1.48's daemon
//! does: the key goes through a private file, never on a command line.

use crate::calls::filesystems::blkid_type;
use crate::daemon::Daemon;
use crate::sys::{command_ok, ocaml_command};
use guestfs_protocol::calls;
use guestfs_protocol::{CryptsetupOpenOpts, Error, Result};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

/// A key file readable by root only, removed when dropped.
struct KeyFile(String);

impl KeyFile {
    /// `/tmp/NAMEPID.key`: one file per name (a call may need two keys).
    fn new(key: &str, name: &str) -> Result<KeyFile> {
        let path = format!("/tmp/{}{}.key", name, std::process::id());
        // One call at a time: a file left by a killed call is ours to replace.
        let _ = std::fs::remove_file(&path);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| crate::sys::io_error(&e, &path))?;
        let k = KeyFile(path);
        f.write_all(key.as_bytes())
            .map_err(|e| crate::sys::io_error(&e, &k.0))?;
        Ok(k)
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn cryptsetup_open(
    device: &str,
    key: &str,
    mapname: &str,
    readonly: bool,
    crypttype: Option<&str>,
) -> Result<()> {
    // /dev/mapper/control is always there, so "control" can never be opened.
    let devmapper = format!("/dev/mapper/{}", mapname);
    if std::fs::metadata(&devmapper).is_ok_and(|m| m.file_type().is_block_device()) {
        return Err(Error::msg(format!("{}: device already exists", devmapper)));
    }
    let crypttype = match crypttype {
        Some(t) => t.to_string(),
        None => match blkid_type(device)?.as_str() {
            "crypto_LUKS" => "luks".to_string(),
            "BitLocker" => "bitlk".to_string(),
            t => return Err(Error::msg(format!("{}: unknown encrypted device type", t))),
        },
    };
    crate::modules::load("dm_mod");
    crate::modules::load("dm_crypt");
    let keyfile = KeyFile::new(key, "crypt")?;
    let mut args = vec!["-d", keyfile.0.as_str()];
    if readonly {
        args.push("--readonly");
    }
    args.extend(["open", device, mapname, "--type", &crypttype]);
    ocaml_command("cryptsetup", &args, false).map(|_| ())
}

fn cryptsetup_close(device: &str) -> Result<()> {
    let Some(mapname) = device.strip_prefix("/dev/mapper/") else {
        return Err(Error::msg(format!(
            "{}: you must call this on the /dev/mapper device created by cryptsetup-open",
            device
        )));
    };
    ocaml_command("cryptsetup", &["close", mapname], false).map(|_| ())
}

/// `cryptsetup ARGS…` as 1.48's C calls run it: a failure is cryptsetup's error output.
fn cryptsetup(args: &[&str]) -> Result<String> {
    crate::modules::load("dm_mod");
    crate::modules::load("dm_crypt");
    command_ok("cryptsetup", args, false, "")
}

fn luks_format(device: &str, key: &str, keyslot: i32, cipher: Option<&str>) -> Result<()> {
    let keyfile = KeyFile::new(key, "luks")?;
    let slot = keyslot.to_string();
    let mut args = vec!["-q"];
    if let Some(c) = cipher {
        args.extend(["--cipher", c]);
    }
    args.extend(["--key-slot", &slot, "luksFormat", device, &keyfile.0]);
    cryptsetup(&args).map(|_| ())
}

impl calls::Encryption for Daemon {
    fn luks_format(&mut self, device: &str, key: &str, keyslot: i32) -> Result<()> {
        luks_format(device, key, keyslot, None)
    }

    fn luks_format_cipher(
        &mut self,
        device: &str,
        key: &str,
        keyslot: i32,
        cipher: &str,
    ) -> Result<()> {
        luks_format(device, key, keyslot, Some(cipher))
    }

    fn luks_add_key(&mut self, device: &str, key: &str, newkey: &str, keyslot: i32) -> Result<()> {
        let keyfile = KeyFile::new(key, "luks")?;
        let newkeyfile = KeyFile::new(newkey, "luksnew")?;
        let slot = keyslot.to_string();
        let args = [
            "-q",
            "-d",
            &keyfile.0,
            "--key-slot",
            &slot,
            "luksAddKey",
            device,
            &newkeyfile.0,
        ];
        cryptsetup(&args).map(|_| ())
    }

    fn luks_kill_slot(&mut self, device: &str, key: &str, keyslot: i32) -> Result<()> {
        let keyfile = KeyFile::new(key, "luks")?;
        let slot = keyslot.to_string();
        let args = ["-q", "-d", &keyfile.0, "luksKillSlot", device, &slot];
        cryptsetup(&args).map(|_| ())
    }

    fn luks_uuid(&mut self, device: &str) -> Result<String> {
        cryptsetup(&["luksUUID", device]).map(|out| out.trim().to_string())
    }

    fn cryptsetup_open(
        &mut self,
        device: &str,
        key: &str,
        mapname: &str,
        opts: &CryptsetupOpenOpts,
    ) -> Result<()> {
        cryptsetup_open(
            device,
            key,
            mapname,
            opts.readonly == Some(true),
            opts.crypttype.as_deref(),
        )
    }

    fn cryptsetup_close(&mut self, device: &str) -> Result<()> {
        cryptsetup_close(device)
    }

    fn luks_open(&mut self, device: &str, key: &str, mapname: &str) -> Result<()> {
        cryptsetup_open(device, key, mapname, false, Some("luks"))
    }

    fn luks_open_ro(&mut self, device: &str, key: &str, mapname: &str) -> Result<()> {
        cryptsetup_open(device, key, mapname, true, Some("luks"))
    }

    fn luks_close(&mut self, device: &str) -> Result<()> {
        cryptsetup_close(device)
    }
}

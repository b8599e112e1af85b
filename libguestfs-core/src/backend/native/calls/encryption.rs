//! The encryption calls the native backend answers: LUKS volumes opened in process
//! ([`crate::block::luks`]), read-only, as `/dev/mapper/NAME` nodes. Failures carry the words
//! of the cryptsetup commands 1.48's daemon runs, so that both backends fail alike.

use super::super::*;
use crate::block::luks::{LuksError, Volume};
use guestfs_protocol::calls as api;

impl NativeBackend {
    fn cryptsetup_open_luks(
        &mut self,
        device: &str,
        key: &str,
        mapname: &str,
        crypttype_arg: Option<&str>,
        readonly: bool,
    ) -> Result<()> {
        let node = self.device_arg("cryptsetup_open", device)?;
        let mapper = format!("/dev/mapper/{}", mapname);
        if mapname == "control" || self.devices.find(&mapper).is_some() {
            return Err(Error::msg(format!("{}: device already exists", mapper)));
        }
        let crypttype = match crypttype_arg {
            Some(t) => t.to_string(),
            None => match node.vfs_type() {
                "crypto_LUKS" => "luks".to_string(),
                "BitLocker" => "bitlk".to_string(),
                t => return Err(Error::msg(format!("{}: unknown encrypted device type", t))),
            },
        };
        if !matches!(crypttype.as_str(), "luks" | "luks1" | "luks2") {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "{}: the native backend opens LUKS volumes, not ‘{}’ (use LIBGUESTFS_BACKEND=direct)",
                    device, crypttype
                ),
            ));
        }
        let in_use =
            self.devices.mappers().iter().any(
                |m| matches!(&m.kind, NodeKind::Mapper { source, .. } if source == &node.name),
            );
        if in_use {
            return Err(cryptsetup_failed(
                5,
                &format!(
                    "Cannot use device {} which is in use (already mapped or mounted).",
                    device
                ),
            ));
        }
        let dev = node.device()?.clone();
        let not_luks =
            || cryptsetup_failed(1, &format!("Device {} is not a valid LUKS device.", device));
        if node.vfs_type() != "crypto_LUKS" {
            return Err(not_luks());
        }
        let opened = Volume::read(dev.as_ref()).and_then(|volume| {
            let key = volume.unlock(dev.as_ref(), key.as_bytes())?;
            let sector_size = volume.segment.sector_size as u32;
            Ok((volume.open_payload(dev.clone(), &key)?, sector_size))
        });
        let (plain, sector_size) = match opened {
            Ok(o) => o,
            // cryptsetup's exit status 2: no keyslot opens with the passphrase.
            Err(LuksError::WrongPassphrase) => {
                return Err(cryptsetup_failed(
                    2,
                    &LuksError::WrongPassphrase.to_string(),
                ))
            }
            Err(e) => return Err(Error::from(e).context(device)),
        };
        let source = node.name.clone();
        self.devices
            .add_mapper(mapname, &source, plain, sector_size)?;
        self.opened.push(crate::backend::OpenedVolume {
            device: device.to_string(),
            key: key.to_string(),
            mapname: mapname.to_string(),
            crypttype: crypttype_arg.map(str::to_string),
            readonly,
        });
        Ok(())
    }

    fn cryptsetup_close_mapper(&mut self, device: &str) -> Result<()> {
        let Some(mapname) = device.strip_prefix("/dev/mapper/") else {
            return Err(Error::msg(format!(
                "{}: you must call this on the /dev/mapper device created by cryptsetup-open",
                device
            )));
        };
        let is_mapper = matches!(
            self.device_arg("cryptsetup_close", device)?.kind,
            NodeKind::Mapper { .. }
        );
        if !is_mapper {
            return Err(cryptsetup_failed(
                4,
                &format!("Device {} is not active.", mapname),
            ));
        }
        let holds_pv = self
            .devices
            .lvm
            .vgs
            .iter()
            .flat_map(|vg| vg.pvs.iter())
            .any(|pv| pv.device == device);
        let mounted = self.mounts.mounts().iter().any(|m| m.device == device);
        if holds_pv || mounted {
            return Err(cryptsetup_failed(
                5,
                &format!("Device {} is still in use.", mapname),
            ));
        }
        self.devices.remove_mapper(device);
        self.opened.retain(|v| v.mapname != mapname);
        Ok(())
    }
}

impl NativeBackend {
    /// A `Device` argument of `call`, with the daemon's error when there is no such device.
    fn device_arg(&self, call: &str, device: &str) -> Result<&devices::Node> {
        self.devices.find(device).ok_or_else(|| {
            Error::new(
                libc::ENOENT,
                format!("{}_stub: {}: {}", call, device, strerror(libc::ENOENT)),
            )
        })
    }
}

/// A failure as 1.48's daemon reports a failed cryptsetup command.
fn cryptsetup_failed(status: i32, message: &str) -> Error {
    Error::msg(format!(
        "cryptsetup exited with status {}: {}",
        status, message
    ))
}

impl api::Encryption for NativeBackend {
    fn cryptsetup_open(
        &mut self,
        device: &str,
        key: &str,
        mapname: &str,
        opts: &CryptsetupOpenOpts,
    ) -> Result<()> {
        let readonly = opts.readonly.unwrap_or(false);
        self.cryptsetup_open_luks(device, key, mapname, opts.crypttype.as_deref(), readonly)
    }

    fn luks_open(&mut self, device: &str, key: &str, mapname: &str) -> Result<()> {
        self.cryptsetup_open_luks(device, key, mapname, Some("luks"), false)
    }

    fn luks_open_ro(&mut self, device: &str, key: &str, mapname: &str) -> Result<()> {
        self.cryptsetup_open_luks(device, key, mapname, Some("luks"), true)
    }

    fn cryptsetup_close(&mut self, device: &str) -> Result<()> {
        self.cryptsetup_close_mapper(device)
    }

    fn luks_close(&mut self, device: &str) -> Result<()> {
        self.cryptsetup_close_mapper(device)
    }

    /// 1.48 fails with an empty message on anything but a LUKS device (cryptsetup's
    /// luksUUID says nothing on its error output).
    fn luks_uuid(&mut self, device: &str) -> Result<String> {
        match self.devices.find(device).and_then(|n| n.probe()) {
            Some(p) if p.fs_type == "crypto_LUKS" => Ok(p.uuid.clone()),
            _ => Err(Error::msg("")),
        }
    }
}

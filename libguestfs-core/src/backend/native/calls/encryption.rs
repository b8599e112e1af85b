//! The encryption calls the native backend answers.

use super::super::*;
use guestfs_protocol::calls as api;

impl api::Encryption for NativeBackend {
    fn cryptsetup_open(
        &mut self,
        device: &str,
        _key: &str,
        _mapname: &str,
        _opts: &CryptsetupOpenOpts,
    ) -> Result<()> {
        let _ = self.devices.get(device)?;
        Err(Error::new(
            libc::ENOTSUP,
            format!("{}: encrypted devices are opened by the appliance backend (LIBGUESTFS_BACKEND=direct)", device),
        ))
    }
}

//! The md calls the native backend answers.

use super::super::*;
use guestfs_protocol::calls as api;

impl api::Md for NativeBackend {
    fn list_md_devices(&mut self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}

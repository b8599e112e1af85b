//! libguestfs's `hivex_*` calls, library-side: [`crate::hive::calls`] (shared with the
//! daemon) reads the hive file from the guest with the backend's `download`, changes it in
//! memory and writes it back with `upload` on `hivex_commit`. One hive is open per handle at a
//! time, as in libguestfs.

use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::hive::calls::{self, opened, OpenHive};
use guestfs_protocol::calls::HivexOpenOpts;
use guestfs_protocol::structs::{HivexNode, HivexValue};

impl Handle {
    /// The open hive, for the call `call`.
    fn hive(&mut self, call: &str) -> Result<&mut OpenHive> {
        opened(&mut self.hive, call)
    }

    /// `hivex_open`: reads the hive file `filename` from the guest and opens it, closing any
    /// hive already open.
    pub(crate) fn impl_hivex_open(&mut self, filename: &str, opts: &HivexOpenOpts) -> Result<()> {
        self.hive = None;
        // A daemon call in libguestfs: the file is read without an inner (traced) call.
        let (hive, message) = match self.backend_mut() {
            Some(backend) => calls::open(backend, filename, opts)?,
            None => return Err(Error::new(libc::EINVAL, "the handle is not launched")),
        };
        if let Some(m) = message {
            self.log_debug(&m);
        }
        self.hive = Some(hive);
        Ok(())
    }

    /// `hivex_close`: closes the open hive (unsaved changes are lost).
    pub(crate) fn impl_hivex_close(&mut self) -> Result<()> {
        self.hive("hivex_close")?;
        self.hive = None;
        Ok(())
    }

    /// `hivex_commit`: writes the changed hive back to its file, or to `filename`.
    pub(crate) fn impl_hivex_commit(&mut self, filename: Option<&str>) -> Result<()> {
        let Some(mut hive) = self.hive.take() else {
            return self.hive("hivex_commit").map(|_| ());
        };
        let result = match self.backend_mut() {
            Some(backend) => hive.commit(backend, filename),
            None => Err(Error::new(libc::EINVAL, "the handle is not launched")),
        };
        self.hive = Some(hive);
        result
    }

    pub(crate) fn impl_hivex_node_add_child(&mut self, parent: i64, name: &str) -> Result<i64> {
        self.hive("hivex_node_add_child")?
            .node_add_child(parent, name)
    }

    pub(crate) fn impl_hivex_node_delete_child(&mut self, nodeh: i64) -> Result<()> {
        self.hive("hivex_node_delete_child")?
            .node_delete_child(nodeh)
    }

    pub(crate) fn impl_hivex_node_set_value(
        &mut self,
        nodeh: i64,
        key: &str,
        t: i64,
        val: &[u8],
    ) -> Result<()> {
        self.hive("hivex_node_set_value")?
            .node_set_value(nodeh, key, t, val)
    }

    pub(crate) fn impl_hivex_root(&mut self) -> Result<i64> {
        Ok(self.hive("hivex_root")?.root())
    }

    pub(crate) fn impl_hivex_node_name(&mut self, nodeh: i64) -> Result<String> {
        self.hive("hivex_node_name")?.node_name(nodeh)
    }

    pub(crate) fn impl_hivex_node_children(&mut self, nodeh: i64) -> Result<Vec<HivexNode>> {
        self.hive("hivex_node_children")?.node_children(nodeh)
    }

    pub(crate) fn impl_hivex_node_get_child(&mut self, nodeh: i64, name: &str) -> Result<i64> {
        self.hive("hivex_node_get_child")?
            .node_get_child(nodeh, name)
    }

    pub(crate) fn impl_hivex_node_parent(&mut self, nodeh: i64) -> Result<i64> {
        self.hive("hivex_node_parent")?.node_parent(nodeh)
    }

    pub(crate) fn impl_hivex_node_values(&mut self, nodeh: i64) -> Result<Vec<HivexValue>> {
        self.hive("hivex_node_values")?.node_values(nodeh)
    }

    pub(crate) fn impl_hivex_node_get_value(&mut self, nodeh: i64, key: &str) -> Result<i64> {
        self.hive("hivex_node_get_value")?
            .node_get_value(nodeh, key)
    }

    pub(crate) fn impl_hivex_value_key(&mut self, valueh: i64) -> Result<String> {
        self.hive("hivex_value_key")?.value_key(valueh)
    }

    pub(crate) fn impl_hivex_value_type(&mut self, valueh: i64) -> Result<i64> {
        self.hive("hivex_value_type")?.value_type(valueh)
    }

    pub(crate) fn impl_hivex_value_value(&mut self, valueh: i64) -> Result<Vec<u8>> {
        self.hive("hivex_value_value")?.value_value(valueh)
    }

    pub(crate) fn impl_hivex_value_string(&mut self, valueh: i64) -> Result<String> {
        self.hive("hivex_value_string")?.value_string(valueh)
    }

    /// The deprecated name of `hivex_value_string` (1.48's daemon names the latter).
    pub(crate) fn impl_hivex_value_utf8(&mut self, valueh: i64) -> Result<String> {
        self.hive("hivex_value_string")?.value_string(valueh)
    }
}

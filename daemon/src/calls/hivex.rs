//! The `hivex_*` calls: the hive code the library uses ([`guestfs_inspect::hive::calls`]),
//! run on the daemon itself (the hive file is read and written with its own `download` and
//! `upload`). One hive is open at a time, as in 1.48's daemon.

use crate::daemon::Daemon;
use guestfs_inspect::hive::calls::{self as hive, opened, OpenHive};
use guestfs_protocol::calls;
use guestfs_protocol::{HivexNode, HivexOpenOpts, HivexValue, Result};
use std::sync::Mutex;

/// The open hive (1.48's daemon keeps one per daemon too).
static HIVE: Mutex<Option<OpenHive>> = Mutex::new(None);

/// Runs `f` on the open hive of `call`.
fn with_hive<T>(call: &str, f: impl FnOnce(&mut OpenHive) -> Result<T>) -> Result<T> {
    let mut hive = HIVE.lock().unwrap_or_else(|e| e.into_inner());
    f(opened(&mut hive, call)?)
}

impl calls::Hivex for Daemon {
    fn hivex_open(&mut self, filename: &str, opts: &HivexOpenOpts) -> Result<()> {
        HIVE.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (opened_hive, message) = hive::open(self, filename, opts)?;
        if let Some(m) = message {
            eprintln!("{}", m);
        }
        *HIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(opened_hive);
        Ok(())
    }

    fn hivex_close(&mut self) -> Result<()> {
        let mut hive = HIVE.lock().unwrap_or_else(|e| e.into_inner());
        opened(&mut hive, "hivex_close")?;
        *hive = None;
        Ok(())
    }

    fn hivex_commit(&mut self, filename: Option<&str>) -> Result<()> {
        // Taken out while it is written, since writing runs other calls of this daemon.
        let Some(mut hive) = HIVE.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return with_hive("hivex_commit", |_| Ok(()));
        };
        let result = hive.commit(self, filename);
        *HIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(hive);
        result
    }

    fn hivex_root(&mut self) -> Result<i64> {
        with_hive("hivex_root", |h| Ok(h.root()))
    }

    fn hivex_node_name(&mut self, nodeh: i64) -> Result<String> {
        with_hive("hivex_node_name", |h| h.node_name(nodeh))
    }

    fn hivex_node_children(&mut self, nodeh: i64) -> Result<Vec<HivexNode>> {
        with_hive("hivex_node_children", |h| h.node_children(nodeh))
    }

    fn hivex_node_get_child(&mut self, nodeh: i64, name: &str) -> Result<i64> {
        with_hive("hivex_node_get_child", |h| h.node_get_child(nodeh, name))
    }

    fn hivex_node_parent(&mut self, nodeh: i64) -> Result<i64> {
        with_hive("hivex_node_parent", |h| h.node_parent(nodeh))
    }

    fn hivex_node_values(&mut self, nodeh: i64) -> Result<Vec<HivexValue>> {
        with_hive("hivex_node_values", |h| h.node_values(nodeh))
    }

    fn hivex_node_get_value(&mut self, nodeh: i64, key: &str) -> Result<i64> {
        with_hive("hivex_node_get_value", |h| h.node_get_value(nodeh, key))
    }

    fn hivex_value_key(&mut self, valueh: i64) -> Result<String> {
        with_hive("hivex_value_key", |h| h.value_key(valueh))
    }

    fn hivex_value_type(&mut self, valueh: i64) -> Result<i64> {
        with_hive("hivex_value_type", |h| h.value_type(valueh))
    }

    fn hivex_value_value(&mut self, valueh: i64) -> Result<Vec<u8>> {
        with_hive("hivex_value_value", |h| h.value_value(valueh))
    }

    fn hivex_value_string(&mut self, valueh: i64) -> Result<String> {
        with_hive("hivex_value_string", |h| h.value_string(valueh))
    }

    /// The deprecated name of `hivex_value_string` (1.48's daemon names the latter).
    fn hivex_value_utf8(&mut self, valueh: i64) -> Result<String> {
        with_hive("hivex_value_string", |h| h.value_string(valueh))
    }

    fn hivex_node_add_child(&mut self, parent: i64, name: &str) -> Result<i64> {
        with_hive("hivex_node_add_child", |h| h.node_add_child(parent, name))
    }

    fn hivex_node_delete_child(&mut self, nodeh: i64) -> Result<()> {
        with_hive("hivex_node_delete_child", |h| h.node_delete_child(nodeh))
    }

    fn hivex_node_set_value(&mut self, nodeh: i64, key: &str, t: i64, val: &[u8]) -> Result<()> {
        with_hive("hivex_node_set_value", |h| {
            h.node_set_value(nodeh, key, t, val)
        })
    }
}

//! Windows dynamic disks (LDM): disk groups and volumes read by `ldmtool`, and their
//! device-mapper devices, as 1.48's daemon does (ldmtool prints JSON).

use crate::daemon::Daemon;
use crate::sys::command_ok;
use guestfs_protocol::calls;
use guestfs_protocol::{Error, Result};
use serde_json::Value;

/// `ldmtool ARGS…`; a failure is ldmtool's error output.
fn ldmtool(args: &[&str]) -> Result<Value> {
    crate::modules::load("dm_mod");
    let out = command_ok("ldmtool", args, false, "")?;
    serde_json::from_str(&out).map_err(|e| Error::msg(format!("parse error: {}", e)))
}

/// A JSON array of strings, or None if it is something else.
fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// `ldmtool show diskgroup|volume …`'s object field `key` as a string (null as "" when
/// `null_is_empty`), with 1.48's error when it is not one.
fn object_string(v: &Value, key: &str, null_is_empty: bool, cmd: &str) -> Result<String> {
    match v.as_object().and_then(|o| o.get(key)) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) if null_is_empty => Ok(String::new()),
        _ => Err(Error::msg(format!(
            "output of '{}' was not a JSON object containing a key '{}' of type string",
            cmd, key
        ))),
    }
}

/// The same for a field holding an array of strings.
fn object_string_list(v: &Value, key: &str, cmd: &str) -> Result<Vec<String>> {
    v.as_object()
        .and_then(|o| o.get(key))
        .and_then(string_list)
        .ok_or_else(|| {
            Error::msg(format!(
                "output of '{}' was not a JSON object containing a key '{}' of type array of strings",
                cmd, key
            ))
        })
}

fn show_diskgroup(diskgroup: &str) -> Result<Value> {
    ldmtool(&["show", "diskgroup", diskgroup])
}

fn show_volume(diskgroup: &str, volume: &str) -> Result<Value> {
    ldmtool(&["show", "volume", diskgroup, volume])
}

/// The device-mapper devices ldmtool made whose names start with `prefix`, sorted.
fn mapper_devices(prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/dev/mapper")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .map(|n| format!("/dev/mapper/{}", n))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

impl calls::Ldm for Daemon {
    fn ldmtool_create_all(&mut self) -> Result<()> {
        crate::modules::load("dm_mod");
        command_ok("ldmtool", &["create", "all"], false, "").map(|_| ())
    }

    fn ldmtool_remove_all(&mut self) -> Result<()> {
        command_ok("ldmtool", &["remove", "all"], false, "").map(|_| ())
    }

    fn ldmtool_scan(&mut self) -> Result<Vec<String>> {
        self.ldmtool_scan_devices(&[])
    }

    fn ldmtool_scan_devices(&mut self, devices: &[String]) -> Result<Vec<String>> {
        let mut args = vec!["scan"];
        args.extend(devices.iter().map(String::as_str));
        string_list(&ldmtool(&args)?)
            .ok_or_else(|| Error::msg("output of 'ldmtool scan' was not a JSON array of strings"))
    }

    fn ldmtool_diskgroup_name(&mut self, diskgroup: &str) -> Result<String> {
        let v = show_diskgroup(diskgroup)?;
        object_string(&v, "name", false, "ldmtool show diskgroup")
    }

    fn ldmtool_diskgroup_volumes(&mut self, diskgroup: &str) -> Result<Vec<String>> {
        let v = show_diskgroup(diskgroup)?;
        object_string_list(&v, "volumes", "ldmtool show diskgroup")
    }

    fn ldmtool_diskgroup_disks(&mut self, diskgroup: &str) -> Result<Vec<String>> {
        let v = show_diskgroup(diskgroup)?;
        object_string_list(&v, "disks", "ldmtool show diskgroup")
    }

    fn ldmtool_volume_type(&mut self, diskgroup: &str, volume: &str) -> Result<String> {
        let v = show_volume(diskgroup, volume)?;
        object_string(&v, "type", false, "ldmtool show volume")
    }

    fn ldmtool_volume_hint(&mut self, diskgroup: &str, volume: &str) -> Result<String> {
        let v = show_volume(diskgroup, volume)?;
        object_string(&v, "hint", true, "ldmtool show volume")
    }

    fn ldmtool_volume_partitions(&mut self, diskgroup: &str, volume: &str) -> Result<Vec<String>> {
        let v = show_volume(diskgroup, volume)?;
        object_string_list(&v, "partitions", "ldmtool show volume")
    }

    fn list_ldm_volumes(&mut self) -> Result<Vec<String>> {
        Ok(mapper_devices("ldm_vol_"))
    }

    fn list_ldm_partitions(&mut self) -> Result<Vec<String>> {
        Ok(mapper_devices("ldm_part_"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_as_1_48_reads_them() {
        let v: Value =
            serde_json::from_str(r#"{"name":"dg","hint":null,"disks":["a","b"],"n":1}"#).unwrap();
        assert_eq!(object_string(&v, "name", false, "c").unwrap(), "dg");
        assert_eq!(object_string(&v, "hint", true, "c").unwrap(), "");
        assert!(object_string(&v, "hint", false, "c").is_err());
        assert_eq!(object_string_list(&v, "disks", "c").unwrap(), ["a", "b"]);
        assert!(object_string_list(&v, "n", "c").is_err());
    }
}

//! Windows applications: the `Uninstall` keys of the SOFTWARE hive.

use super::new_app;
use crate::hive::{Hive, NodeHandle};
use crate::inspect::windows::get_node;
use crate::types::Application2;

/// The keys listing installed software (64-bit, then 32-bit on 64-bit Windows).
const UNINSTALL_PATHS: [&[&str]; 2] = [
    &["Microsoft", "Windows", "CurrentVersion", "Uninstall"],
    &[
        "WOW6432node",
        "Microsoft",
        "Windows",
        "CurrentVersion",
        "Uninstall",
    ],
];

/// A string value by name (case-insensitive lookup); "" when missing or not a string.
fn string_value(h: &Hive, node: NodeHandle, name: &str) -> Option<String> {
    let v = h.node_get_value(node, name).ok()??;
    h.value_string(v).ok()
}

/// Adds the applications under one key. Like libguestfs, a hive error stops the listing of
/// that key, keeping what was found.
fn list_from_path(h: &Hive, path: &[&str], apps: &mut Vec<Application2>) {
    let Ok(Some(node)) = get_node(h, h.root(), path) else {
        return;
    };
    let Ok(children) = h.node_children(node) else {
        return;
    };
    for child in children {
        // The key name stands for the package name: DisplayName is localised.
        let Ok(name) = h.node_name(child) else {
            return;
        };
        let Some(display_name) = string_value(h, child, "DisplayName") else {
            continue;
        };
        let mut a = new_app();
        a.app2_name = name;
        a.app2_display_name = display_name;
        a.app2_version = string_value(h, child, "DisplayVersion").unwrap_or_default();
        a.app2_install_path = string_value(h, child, "InstallLocation").unwrap_or_default();
        a.app2_publisher = string_value(h, child, "Publisher").unwrap_or_default();
        a.app2_url = string_value(h, child, "URLInfoAbout").unwrap_or_default();
        a.app2_description = string_value(h, child, "Comments").unwrap_or_default();
        apps.push(a);
    }
}

/// The applications of an opened SOFTWARE hive, in key order.
pub fn list_windows_applications(h: &Hive) -> Vec<Application2> {
    let mut apps = Vec::new();
    for path in UNINSTALL_PATHS {
        list_from_path(h, path, &mut apps);
    }
    apps
}

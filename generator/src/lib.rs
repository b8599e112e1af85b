//! The generator: reads the one declaration of the libguestfs API in `api/` (every action and
//! struct as data) and writes the Rust code built from it. Build scripts call it:
//! `guestfs-protocol` for the wire side and the backend traits, `guestfs` (the core library)
//! for the `Handle` methods.

mod emit_handle;
mod emit_protocol;
pub mod model;
mod names;

use std::path::Path;

macro_rules! families {
    ($($name:literal),* $(,)?) => {
        /// Every `api/calls/*.toml`, embedded so a change rebuilds everything generated.
        const FAMILY_FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../api/calls/", $name, ".toml")))),*
        ];
    };
}

families!(
    "devices",
    "partitions",
    "filesystems",
    "files",
    "archives",
    "attributes",
    "lvm",
    "encryption",
    "md",
    "btrfs",
    "ldm",
    "augeas",
    "hivex",
    "journal",
    "inspection",
    "commands",
    "daemon",
    "forensics",
    "drives",
    "handle",
    "bindtests",
);

const STRUCTS_FILE: &str = include_str!("../../api/structs.toml");

/// The parsed and checked declaration.
pub fn api() -> model::Api {
    model::parse(FAMILY_FILES, STRUCTS_FILE)
}

fn write(dir: &Path, name: &str, text: String) {
    let path = dir.join(name);
    // Unchanged files keep their time stamp, so nothing downstream rebuilds needlessly.
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        return;
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
}

/// Writes the protocol crate's generated files into `dir`.
pub fn write_protocol(dir: &Path) {
    let api = api();
    write(dir, "structs.rs", emit_protocol::structs(&api));
    write(dir, "actions.rs", emit_protocol::actions(&api));
    write(dir, "calls.rs", emit_protocol::calls(&api));
    write(dir, "client.rs", emit_protocol::client(&api));
    write(dir, "server.rs", emit_protocol::server(&api));
}

/// Writes the core library's generated files into `dir`.
pub fn write_handle(dir: &Path) {
    let api = api();
    write(dir, "handle_calls.rs", emit_handle::handle(&api));
}

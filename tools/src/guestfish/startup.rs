//! What happens between the options and the first command: drives added in command-line
//! order, and when `-i`, `-m` or `-N` was given the launch, inspection and mounting, the
//! prepared disks' formatting, then the `-m` mounts.

use super::options::{Drive, Startup};
use super::session::{Exit, Fish};
use crate::common::{libvirt, Ctx, DriveArg};
use guestfs::AddDriveOpts;

/// Adds the drives; returns the `-N` disks with their device names.
fn add_drives(fish: &mut Fish, s: &mut Startup) -> Result<Vec<(usize, String)>, Exit> {
    let read_only = fish.settings.read_only;
    let mut index = 0usize;
    let mut prepared = Vec::new();
    for (i, d) in s.drives.iter().enumerate() {
        let with_options = |format: &Option<String>, blocksize: &Option<i32>| AddDriveOpts {
            readonly: read_only.then_some(true),
            format: format.clone(),
            blocksize: *blocksize,
            ..Default::default()
        };
        let added = match d {
            Drive::File {
                path,
                format,
                blocksize,
            } => fish
                .g
                .add_drive(path, with_options(format, blocksize))
                .map(|()| 1),
            Drive::Uri {
                uri,
                format,
                blocksize,
            } => {
                let opts = AddDriveOpts {
                    protocol: Some(uri.protocol.clone()),
                    server: uri.server.clone(),
                    username: uri.username.clone(),
                    secret: uri.password.clone(),
                    ..with_options(format, blocksize)
                };
                fish.g.add_drive(&uri.path, opts).map(|()| 1)
            }
            Drive::Domain(guest) => {
                let opts = libvirt::domain_opts(s.libvirt_uri.clone(), read_only);
                fish.g
                    .add_domain(guest, opts)
                    .map(|n| usize::try_from(n).unwrap_or(0))
            }
            Drive::Prepared(p) => {
                // -N disks are not affected by --ro.
                let opts = AddDriveOpts {
                    format: Some("raw".to_string()),
                    ..Default::default()
                };
                prepared.push((
                    i,
                    format!("/dev/sd{}", guestfs::device_name::drive_letters(index)),
                ));
                fish.g.add_drive(&p.filename, opts).map(|()| 1)
            }
        };
        match added {
            Ok(n) => index += n,
            Err(_) => return Err(1),
        }
    }
    Ok(prepared)
}

/// A tools context for the shared inspection and `-m` code.
fn tools_context(fish: &Fish, s: &Startup) -> Ctx {
    let mut flags = vec!["--".to_string()];
    if fish.settings.keys_from_stdin {
        flags.insert(0, "--keys-from-stdin".to_string());
    }
    if fish.settings.echo_keys {
        flags.insert(0, "--echo-keys".to_string());
    }
    let matches = crate::common::fish::shell_command("guestfish")
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .try_get_matches_from(flags)
        .unwrap_or_default();
    Ctx {
        prog: "guestfish".to_string(),
        matches,
        operands: Vec::new(),
        drives: Vec::<DriveArg>::new(),
        mounts: s.mounts.clone(),
        keys: s.keys.clone(),
        verbose: fish.settings.verbose > 0,
        trace: false,
        machine: None,
    }
}

/// Drives, then (for `-i`, `-m`, `-N`) launch, inspection, prepared disks and mounts.
///
/// A `--listen` server gets here after forking (1.48 launches first, then forks, so it must
/// turn the library's recovery process off; launching in the server itself keeps it).
pub fn prepare(fish: &mut Fish, s: &mut Startup) -> Result<(), Exit> {
    let prepared = add_drives(fish, s)?;
    if prepared.is_empty() && s.mounts.is_empty() && !s.inspector {
        return Ok(());
    }
    fish.launch().map_err(|_| 1)?;
    let ctx = tools_context(fish, s);
    if s.inspector {
        let root = ctx.inspect_and_mount(&mut fish.g, fish.settings.read_only)?;
        fish.inspected_root = Some(root);
    }
    for (i, device) in &prepared {
        if let Drive::Prepared(p) = &s.drives[*i] {
            p.prepare(fish, device)?;
        }
    }
    ctx.mount_specs(&mut fish.g, fish.settings.read_only)
}

/// The interactive banner's lines after `-i`: the product name and the mounted filesystems.
pub fn print_inspect_prompt(fish: &mut Fish, root: &str) {
    let mut text = String::new();
    if let Ok(name) = fish.g.inspect_get_product_name(root) {
        if name != "unknown" {
            text.push_str(&format!("Operating system: {}\n", name));
        }
    }
    if let Ok(mut mps) = fish.g.inspect_get_mountpoints(root) {
        mps.sort_by_key(|m| m.0.to_ascii_lowercase());
        for (mp, dev) in mps {
            let shown = fish.g.canonical_device_name(&dev).unwrap_or(dev);
            text.push_str(&format!("{} mounted on {}\n", shown, mp));
        }
    }
    fish.out(text.as_bytes());
}

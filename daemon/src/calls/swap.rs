//! Linux swap: mkswap, swapon/swapoff by device, file, label or UUID, relabelling. (1.48
//! settles udev after these; the appliance has no udev.)

use crate::sys::command_ok;
use guestfs_protocol::{Error, MkswapOpts, Result};

/// Longest label a Linux swap header holds.
const SWAP_LABEL_MAX: usize = 16;

fn check_label(label: &str) -> Result<()> {
    if label.len() > SWAP_LABEL_MAX {
        return Err(Error::msg(format!(
            "{}: Linux swap labels are limited to {} bytes",
            label, SWAP_LABEL_MAX
        )));
    }
    Ok(())
}

pub fn mkswap(device: &str, o: &MkswapOpts) -> Result<()> {
    let mut args = vec!["-f"];
    if let Some(label) = &o.label {
        check_label(label)?;
        args.extend(["-L", label]);
    }
    if let Some(uuid) = &o.uuid {
        args.extend(["-U", uuid]);
    }
    args.push(device);
    crate::mkfs::wipe_before_mkfs(device);
    command_ok("mkswap", &args, false, device).map(|_| ())
}

/// mkswap on a guest file (`path` is the guest's, `file` the appliance's).
pub fn mkswap_file(path: &str, file: &str) -> Result<()> {
    command_ok("mkswap", &["-f", file], false, path).map(|_| ())
}

/// `swapon`/`swapoff` of `value`, with `flag` (`-L`, `-U`) when it is not a path; the error
/// names `value`.
pub fn swap_on_off(program: &str, flag: Option<&str>, value: &str) -> Result<()> {
    let mut args: Vec<&str> = flag.into_iter().collect();
    args.push(value);
    command_ok(program, &args, false, value).map(|_| ())
}

pub fn swap_on_off_label(program: &str, label: &str) -> Result<()> {
    check_label(label)?;
    swap_on_off(program, Some("-L"), label)
}

pub fn set_label(device: &str, label: &str) -> Result<()> {
    check_label(label)?;
    command_ok("swaplabel", &["-L", label, device], false, "").map(|_| ())
}

pub fn set_uuid(device: &str, uuid: &str) -> Result<()> {
    command_ok("swaplabel", &["-U", uuid, device], false, "").map(|_| ())
}

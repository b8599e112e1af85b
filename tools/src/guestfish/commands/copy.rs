//! `copy-in` and `copy-out`: recursive copies between the host and the guest, one library
//! `copy_in` / `copy_out` call per source.

use super::super::args::win_prefix;
use super::super::session::{stderr_line, CmdResult, Failed, Fish};
use super::words;

/// guestfish's answer to `copy-in` with fewer than two arguments (virt-copy-in's too).
pub const COPY_IN_USAGE: &str =
    "use 'copy-in <local> [<local>...] <remotedir>' to copy files into the image";

pub fn run_copy_in(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let args = words(args);
    let Some((remote, locals)) = args.split_last().filter(|_| args.len() >= 2) else {
        stderr_line(COPY_IN_USAGE);
        return Err(Failed);
    };
    let remote = win_prefix(fish, remote).ok_or(Failed)?;
    for local in locals {
        fish.g.copy_in(local, &remote).map_err(|_| Failed)?;
    }
    Ok(())
}

pub fn run_copy_out(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let args = words(args);
    let Some((local, remotes)) = args.split_last().filter(|_| args.len() >= 2) else {
        stderr_line(
            "use 'copy-out <remote> [<remote>...] <localdir>' to copy files out of the image",
        );
        return Err(Failed);
    };
    for remote in remotes {
        let remote = win_prefix(fish, remote).ok_or(Failed)?;
        fish.g.copy_out(&remote, local).map_err(|_| Failed)?;
    }
    Ok(())
}

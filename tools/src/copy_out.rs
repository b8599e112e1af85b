//! virt-copy-out: copy files and directories out of a virtual machine (the guestfish
//! `copy-out` wrapper: `virt-copy-out -a disk.img /file|dir [...] LOCALDIR`).

use crate::common::output::Record;
use crate::common::{fish, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::Command;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-copy-out",
    description: "copy files and directories out of a virtual machine",
    copyright: "Copyright (C) 2011 Red Hat Inc.",
    usage: &["{prog} -a disk.img /file|dir [/file|dir ...] localdir"],
    tables: fish::TABLES,
    version: LIBGUESTFS_VERSION,
    features: &["json-progress-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-copy-out.txt"),
    command,
    run,
};

fn command() -> Command {
    fish::command("virt-copy-out").about("copy files and directories out of a virtual machine")
}

const USAGE: &str = "virt-copy-out: copy files and directories out of a virtual machine\nUsage:\n  virt-copy-out -a disk.img /file|dir [/file|dir ...] localdir\n";

/// 1.48's guestfish copy-out, given fewer than two paths (after launching and mounting).
const WRONG_ARGUMENTS: &str =
    "use 'copy-out <remote> [<remote>...] <localdir>' to copy files out of the image";

fn run(ctx: &mut Ctx) -> i32 {
    // guestfish runs the command, which checks its own arguments, once the guest is mounted.
    if let Err(code) = fish::check_command(
        ctx,
        fish::Access::ReadOnly,
        USAGE,
        "copy-out",
        "copy-out remote [remote ...] localdir",
        0,
    ) {
        return code;
    }
    let mut g = match fish::launch_and_mount(ctx) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let Some((localdir, remotes)) = ctx.operands.split_last().filter(|(_, r)| !r.is_empty()) else {
        eprintln!("{}", WRONG_ARGUMENTS);
        return 1;
    };
    for remote in remotes {
        // The library checks the local directory, as 1.48's does.
        if g.copy_out(remote, localdir).is_err() {
            return 1;
        }
        ctx.record(
            Record::new("copied")
                .field("path", remote.as_str())
                .field("localdir", localdir.as_str()),
        );
    }
    0
}

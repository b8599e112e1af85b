//! virt-copy-out: copy files and directories out of a virtual machine (the guestfish
//! `copy-out` wrapper: `virt-copy-out -a disk.img /file|dir [...] LOCALDIR`).

use crate::common::output::Record;
use crate::common::{fish, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::Command;
use guestfs::protocol::lossless;

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

fn run(ctx: &mut Ctx) -> i32 {
    if let Err(code) = fish::check_command(
        ctx,
        fish::Access::ReadOnly,
        USAGE,
        "copy-out",
        "copy-out remote [remote ...] localdir",
        2,
    ) {
        return code;
    }
    let (remotes, localdir) = ctx.operands.split_at(ctx.operands.len() - 1);
    let localdir = std::path::PathBuf::from(&*lossless::os_str_of(&localdir[0]));
    if !localdir.is_dir() {
        eprintln!(
            "copy-out: target '{}' is not a directory",
            localdir.display()
        );
        return 1;
    }
    let remotes = remotes.to_vec();
    let mut g = match fish::launch_and_mount(ctx) {
        Ok(g) => g,
        Err(code) => return code,
    };
    for remote in remotes {
        if g.copy_out(&remote, &lossless::string_of_os(localdir.as_os_str()))
            .is_err()
        {
            return 1;
        }
        ctx.record(
            Record::new("copied")
                .field("path", remote.as_str())
                .field("localdir", lossless::string_of_os(localdir.as_os_str())),
        );
    }
    0
}

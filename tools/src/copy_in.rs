//! virt-copy-in: copy files and directories into a virtual machine (the guestfish `copy-in`
//! wrapper: `virt-copy-in -a disk.img FILE|DIR [...] /DESTDIR`).

use crate::common::output::Record;
use crate::common::{fish, write, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::Command;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-copy-in",
    description: "copy files and directories into a virtual machine",
    copyright: "Copyright (C) 2011 Red Hat Inc.",
    usage: &["{prog} -a disk.img file|dir [file|dir ...] /destination"],
    tables: fish::TABLES,
    version: LIBGUESTFS_VERSION,
    features: &["json-progress-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-copy-in.txt"),
    command,
    run,
};

fn command() -> Command {
    fish::command("virt-copy-in").about("copy files and directories into a virtual machine")
}

const USAGE: &str = "virt-copy-in: copy files and directories into a virtual machine\nUsage:\n  virt-copy-in -a disk.img file|dir [file|dir ...] /destination\n";

fn run(ctx: &mut Ctx) -> i32 {
    if let Err(code) = fish::check_command(
        ctx,
        fish::Access::ReadWrite,
        USAGE,
        "copy-in",
        "copy-in local [local ...] remotedir",
        0,
    ) {
        return code;
    }
    // guestfish's own check of the copy-in command's arguments, with its wording.
    if ctx.operands.len() < 2 {
        eprintln!("{}", crate::guestfish::commands::copy::COPY_IN_USAGE);
        return 1;
    }
    let (locals, remotedir) = ctx.operands.split_at(ctx.operands.len() - 1);
    let (locals, remotedir) = (locals.to_vec(), remotedir[0].clone());
    let mut g = match fish::launch_for_writing(ctx) {
        Ok(g) => g,
        Err(code) => return code,
    };
    // The checks copy_in makes before it writes, made for every source first, and whether
    // tar can open the source: a source that cannot be copied then fails with the library's
    // own message (or tar's) while the guest is still mounted read-only, before anything of
    // the earlier sources has been written.
    let writable_dir = g.is_dir(&remotedir, Default::default()).unwrap_or(false);
    for local in &locals {
        let local_path = guestfs::protocol::lossless::os_str_of(local);
        let readable = std::fs::File::open(&local_path).is_ok();
        if !readable || !writable_dir {
            let _ = g.copy_in(local, &remotedir);
            return 1;
        }
    }
    if write::remount_read_write(&mut g).is_err() {
        return 1;
    }
    for local in locals {
        if g.copy_in(&local, &remotedir).is_err() {
            return 1;
        }
        ctx.record(
            Record::new("copied")
                .field("path", local.as_str())
                .field("remotedir", remotedir.as_str()),
        );
    }
    match write::finish(g) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

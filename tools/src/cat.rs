//! virt-cat: display files in a virtual machine.

use crate::common::counting::CountingWriter;
use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::Command;
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-cat",
    description: "display files in a virtual machine",
    copyright: "Copyright (C) 2010 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname file [file ...]",
        "{prog} [--options] -a disk.img [-a disk.img ...] file [file ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:m:vVx",
        long: &[
            "add",
            "blocksize",
            "connect",
            "domain",
            "echo-keys",
            "format",
            "help",
            "key",
            "keys-from-stdin",
            "long-options",
            "mount",
            "short-options",
            "verbose",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-file-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-cat.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-cat")
        .about(SPEC.description)
        .args(args::leading())
        .args(args::format_help_keys())
        .arg(args::mount())
        .args(args::trailing())
        .arg(args::inspector())
        .arg(clap::Arg::new("files").num_args(0..).value_name("file"))
        .args(args::added())
}

fn run(ctx: &mut Ctx) -> i32 {
    crate::common::old_style_drives(ctx, ctx.operands.len().saturating_sub(1));
    if let Err(code) = ctx.require_drives() {
        return code;
    }
    if ctx.operands.is_empty() {
        return ctx.try_help();
    }
    let mut g = match ctx.launch(true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let windows = match ctx.mount_guest(&mut g, true) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let mut errors = 0;
    let stdout = std::io::stdout();
    for file in ctx.operands.clone() {
        let path = match windows
            .as_ref()
            .map(|w| w.rewrite_path(ctx, &mut g, &file, true))
        {
            Some(Ok(p)) => p,
            Some(Err(code)) => return code,
            None => file.clone(),
        };
        let mut out = CountingWriter::new(stdout.lock());
        match g.download_to(&path, &mut out) {
            Ok(()) => {
                let _ = out.flush();
                ctx.record(
                    Record::new("file")
                        .field("path", file.as_str())
                        .field("size", out.count),
                );
            }
            Err(_) => errors += 1,
        }
    }
    if errors > 0 {
        1
    } else {
        0
    }
}

//! virt-alignment-scan: check alignment of virtual machine partitions.

use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::{Arg, ArgAction, Command};
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-alignment-scan",
    description: "check alignment of virtual machine partitions",
    copyright: "Copyright (C) 2011 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname",
        "{prog} [--options] -a disk.img [-a disk.img ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:P:qvVx",
        long: &[
            "add",
            "blocksize",
            "connect",
            "domain",
            "format",
            "help",
            "long-options",
            "quiet",
            "short-options",
            "uuid",
            "verbose",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-partition-records"],
    perl_style: false,
    man: include_str!("../../man/src/virt-alignment-scan.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-alignment-scan")
        .about("check alignment of virtual machine partitions")
        .arg(args::add())
        .arg(args::blocksize())
        .arg(args::connect())
        .arg(args::domain())
        .arg(args::format())
        .arg(args::help())
        .arg(
            Arg::new("threads")
                .short('P')
                .action(ArgAction::Set)
                .value_name("nr_threads")
                .help("Use at most nr_threads"),
        )
        .arg(
            Arg::new("quiet")
                .short('q')
                .long("quiet")
                .action(ArgAction::SetTrue)
                .help("No output, just exit code"),
        )
        .arg(
            Arg::new("uuid")
                .long("uuid")
                .action(ArgAction::SetTrue)
                .help("Print UUIDs instead of names"),
        )
        .arg(args::verbose())
        .arg(args::version())
        .arg(args::trace())
        .args(args::added())
        .arg(Arg::new("operands").num_args(0..))
}

fn run(ctx: &mut Ctx) -> i32 {
    if let Err(code) = ctx.check_threads() {
        return code;
    }
    if !ctx.operands.is_empty() {
        return ctx.try_help();
    }
    if ctx.flag("uuid") && (!ctx.drives.is_empty() || !ctx.values("domain").is_empty()) {
        eprintln!("{}: --uuid option cannot be used with -a or -d", ctx.prog);
        return 1;
    }
    if let Err(code) = ctx.require_drives_or_libvirt() {
        return code;
    }
    let quiet = ctx.flag("quiet");
    let mut g = match ctx.launch(true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let devices = match g.list_devices() {
        Ok(d) => d,
        Err(_) => return 1,
    };
    let mut out = ctx.human_out();
    let mut worst = 64u32;
    for dev in devices {
        // Devices without a partition table the library recognises are skipped.
        g.push_error_handler_quiet();
        let parts = g.part_list(&dev);
        g.pop_error_handler();
        let Ok(parts) = parts else { continue };
        for p in parts {
            let start = p.part_start as u64;
            let alignment = if start == 0 {
                64
            } else {
                start.trailing_zeros()
            };
            worst = worst.min(alignment);
            let verdict = if alignment < 12 {
                "bad (alignment < 4K)"
            } else if alignment < 16 {
                "bad (alignment < 64K)"
            } else {
                "ok"
            };
            if !quiet {
                let column = if alignment < 10 {
                    format!("{:12}    ", 1u64 << alignment)
                } else if alignment < 64 {
                    format!("{:12}K   ", 1u64 << (alignment - 10))
                } else {
                    "- ".to_string()
                };
                let _ = writeln!(
                    out,
                    "{}{} {:12} {}{}",
                    dev, p.part_num, start, column, verdict
                );
            }
            ctx.record(
                Record::new("partition")
                    .field("device", dev.as_str())
                    .field("partnum", p.part_num)
                    .field("start", p.part_start)
                    .field("alignment", 1u64.checked_shl(alignment).unwrap_or(0))
                    .field("ok", alignment >= 16),
            );
        }
    }
    let _ = out.flush();
    if worst < 10 {
        3
    } else if worst < 16 {
        2
    } else {
        0
    }
}

//! virt-alignment-scan: check alignment of virtual machine partitions.

use crate::common::output::Record;
use crate::common::{
    args, getopt::GetoptTables, libvirt, Ctx, Exit, ToolSpec, GUESTFS_TOOLS_VERSION,
};
use clap::{Arg, ArgAction, Command};
use guestfs::Handle;
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
    help_text: None,
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
    let quiet = ctx.flag("quiet");
    let mut out = ctx.human_out();
    let mut worst = 64u32;
    if ctx.drives.is_empty() {
        // Every libvirt guest, in name order, each line prefixed with the guest's name (or
        // UUID with --uuid); a guest that fails makes the exit status 1 after the others.
        let guests = match libvirt::all_guests(ctx) {
            Ok(g) => g,
            Err(code) => return code,
        };
        let mut failed = false;
        for guest in &guests {
            let mut g = ctx.handle();
            let prefix = match (&guest.uuid, ctx.flag("uuid")) {
                (Some(uuid), true) => uuid,
                _ => &guest.name,
            };
            if libvirt::add_guest(ctx, &mut g, guest).is_err()
                || g.launch().is_err()
                || scan(ctx, &mut g, Some(prefix), quiet, &mut out, &mut worst).is_err()
            {
                failed = true;
            }
        }
        let _ = out.flush();
        if failed {
            return 1;
        }
    } else {
        if ctx.flag("uuid") {
            eprintln!("{}: --uuid option cannot be used with -a or -d", ctx.prog);
            return 1;
        }
        let mut g = match ctx.launch(true) {
            Ok(g) => g,
            Err(code) => return code,
        };
        let r = scan(ctx, &mut g, None, quiet, &mut out, &mut worst);
        let _ = out.flush();
        if r.is_err() {
            return 1;
        }
    }
    if worst < 10 {
        3
    } else if worst < 16 {
        2
    } else {
        0
    }
}

/// Prints the alignment of every partition of the guest's disks (each line after `PREFIX:`
/// when given) and lowers `worst` to the worst alignment seen, as a power of two.
fn scan(
    ctx: &Ctx,
    g: &mut Handle,
    prefix: Option<&str>,
    quiet: bool,
    out: &mut dyn Write,
    worst: &mut u32,
) -> Result<(), Exit> {
    let devices = g.list_devices().map_err(|_| 1)?;
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
            *worst = (*worst).min(alignment);
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
                if let Some(prefix) = prefix {
                    let _ = write!(out, "{}:", prefix);
                }
                let _ = writeln!(
                    out,
                    "{}{} {:12} {}{}",
                    dev, p.part_num, start, column, verdict
                );
            }
            let mut record = Record::new("partition");
            if let Some(prefix) = prefix {
                record = record.field("guest", prefix);
            }
            ctx.record(
                record
                    .field("device", dev.as_str())
                    .field("partnum", p.part_num)
                    .field("start", p.part_start)
                    .field("alignment", 1u64.checked_shl(alignment).unwrap_or(0))
                    .field("ok", alignment >= 16),
            );
        }
    }
    Ok(())
}

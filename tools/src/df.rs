//! virt-df: display free space on virtual filesystems.

use crate::common::csv::csv_field;
use crate::common::human::human_size_scaled;
use crate::common::output::Record;
use crate::common::{
    args, getopt::GetoptTables, libvirt, Ctx, DriveSource, ToolSpec, GUESTFS_TOOLS_VERSION,
};
use clap::{Arg, ArgAction, Command};
use guestfs::types::StatVfs;
use guestfs::Handle;
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-df",
    description: "display free space on virtual filesystems",
    copyright: "Copyright (C) 2010 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname",
        "{prog} [--options] -a disk.img [-a disk.img ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:hiP:vVx",
        long: &[
            "add",
            "blocksize",
            "connect",
            "csv",
            "domain",
            "format",
            "help",
            "human-readable",
            "inodes",
            "long-options",
            "one-per-guest",
            "short-options",
            "uuid",
            "verbose",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-df-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-df.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-df")
        .about("display free space on virtual filesystems")
        .arg(args::add())
        .arg(args::blocksize())
        .arg(args::connect())
        .arg(args::csv("Output as Comma-Separated Values"))
        .arg(args::domain())
        .arg(args::format())
        .arg(args::human_readable("Print sizes in human-readable format"))
        .arg(args::help())
        .arg(
            Arg::new("inodes")
                .short('i')
                .long("inodes")
                .action(ArgAction::SetTrue)
                .help("Display inodes"),
        )
        .arg(
            Arg::new("one-per-guest")
                .long("one-per-guest")
                .action(ArgAction::SetTrue)
                .help("Separate appliance per guest"),
        )
        .arg(
            Arg::new("threads")
                .short('P')
                .action(ArgAction::Set)
                .value_name("nr_threads")
                .help("Use at most nr_threads"),
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
        .arg(Arg::new("disks").num_args(0..))
}

struct Options {
    csv: bool,
    human: bool,
    inodes: bool,
}

fn run(ctx: &mut Ctx) -> i32 {
    let opts = Options {
        csv: ctx.flag("csv"),
        human: ctx.flag("human-readable"),
        inodes: ctx.flag("inodes"),
    };
    if let Err(code) = ctx.check_threads() {
        return code;
    }
    if opts.human && opts.csv {
        eprintln!(
            "{}: you cannot use -h and --csv options together.",
            ctx.prog
        );
        return 1;
    }
    // Old-style: with no -a/-d, every operand is a disk image or a libvirt guest.
    let n = ctx.operands.len();
    crate::common::old_style_drives(ctx, n);
    if ctx.drives.is_empty() {
        return every_guest(ctx, &opts);
    }
    let name = guest_name(ctx);
    let mut g = match ctx.launch(true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let mut out = ctx.human_out();
    print_title(&mut out, &opts);
    let r = df_on_handle(ctx, &mut g, &mut out, &opts, &name);
    let _ = out.flush();
    r
}

/// With no `-a`/`-d`: every libvirt guest in name order, one handle each, the rows named after
/// the guest (or its UUID with `--uuid`). A guest whose disks cannot be added is left out, as
/// 1.48 does; one that cannot be launched makes the exit status 1.
fn every_guest(ctx: &Ctx, opts: &Options) -> i32 {
    let guests = match libvirt::all_guests(ctx) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let mut out = ctx.human_out();
    print_title(&mut out, opts);
    let mut status = 0;
    for guest in &guests {
        let mut g = ctx.handle();
        if libvirt::add_guest(ctx, &mut g, guest).is_err() {
            continue;
        }
        let name = match (&guest.uuid, ctx.flag("uuid")) {
            (Some(uuid), true) => uuid,
            _ => &guest.name,
        };
        if g.launch().is_err() || df_on_handle(ctx, &mut g, &mut out, opts, name) != 0 {
            status = 1;
        }
    }
    let _ = out.flush();
    status
}

/// The rows of one guest: every filesystem that mounts, with its statvfs.
fn df_on_handle(ctx: &Ctx, g: &mut Handle, out: &mut dyn Write, opts: &Options, name: &str) -> i32 {
    let fses = match g.list_filesystems() {
        Ok(f) => f,
        Err(_) => return 1,
    };
    for (dev, fstype) in fses {
        if fstype.is_empty() || fstype == "swap" || fstype == "unknown" {
            continue;
        }
        // Mounting may reasonably fail (a damaged filesystem, an unsupported one): skip it.
        g.push_error_handler_quiet();
        let mut st = None;
        if g.mount_ro(&dev, "/").is_ok() {
            st = g.statvfs("/").ok();
            let _ = g.umount_all();
        }
        g.pop_error_handler();
        if let Some(st) = st {
            print_stat(ctx, out, opts, name, &dev, &st);
        }
    }
    0
}

/// The row name: the first image's basename (or the first guest's name), with a `+` for each
/// further `-a` or `-d`.
fn guest_name(ctx: &Ctx) -> String {
    let base = match ctx.drives.first().map(|d| &d.source) {
        Some(DriveSource::Domain(guest)) => guest.as_str(),
        Some(DriveSource::Image(first)) if first.contains("://") => {
            first.rsplit('/').next().unwrap_or(first)
        }
        Some(DriveSource::Image(first)) => std::path::Path::new(first)
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or(first),
        None => "",
    };
    format!("{}{}", base, "+".repeat(ctx.drives.len().saturating_sub(1)))
}

fn print_title(out: &mut dyn Write, opts: &Options) {
    let (c1, c2, c3, c4) = if opts.inodes {
        ("Inodes", "IUsed", "IFree", "IUse%")
    } else if opts.human {
        ("Size", "Used", "Available", "Use%")
    } else {
        ("1K-blocks", "Used", "Available", "Use%")
    };
    if opts.csv {
        let _ = writeln!(out, "VirtualMachine,Filesystem,{},{},{},{}", c1, c2, c3, c4);
    } else {
        let _ = writeln!(
            out,
            "{:<36}{:>10} {:>10} {:>10} {:>5}",
            "Filesystem", c1, c2, c3, c4
        );
    }
}

fn print_stat(ctx: &Ctx, out: &mut dyn Write, opts: &Options, name: &str, dev: &str, st: &StatVfs) {
    let (a, b, c, percent) = if !opts.inodes {
        let (size, used, avail) = if !opts.human {
            let factor = st.bsize / 1024;
            (
                (st.blocks * factor).to_string(),
                ((st.blocks - st.bfree) * factor).to_string(),
                (st.bavail * factor).to_string(),
            )
        } else {
            let unit = st.bsize.max(0) as u128;
            (
                human_size_scaled(st.blocks.max(0) as u128, unit),
                human_size_scaled((st.blocks - st.bfree).max(0) as u128, unit),
                human_size_scaled(st.bavail.max(0) as u128, unit),
            )
        };
        let percent = if st.blocks != 0 {
            100.0 - 100.0 * st.bfree as f64 / st.blocks as f64
        } else {
            0.0
        };
        (size, used, avail, percent)
    } else {
        let percent = if st.files != 0 {
            100.0 - 100.0 * st.ffree as f64 / st.files as f64
        } else {
            0.0
        };
        (
            st.files.to_string(),
            (st.files - st.ffree).to_string(),
            st.ffree.to_string(),
            percent,
        )
    };
    // libguestfs keeps the percentage in a C float.
    let percent = percent as f32 as f64;
    if opts.csv {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{:.1}",
            csv_field(name),
            csv_field(dev),
            a,
            b,
            c,
            percent
        );
    } else {
        let label = format!("{}:{}", name, dev);
        if label.chars().count() > 36 {
            let _ = write!(out, "{}\n{:36}", label, "");
        } else {
            let _ = write!(out, "{:<36}", label);
        }
        let _ = writeln!(
            out,
            "{:>10} {:>10} {:>10} {:>4.0}%",
            a,
            b,
            c,
            percent.ceil()
        );
    }
    ctx.record(
        Record::new("filesystem")
            .field("name", name)
            .field("filesystem", dev)
            .field("bsize", st.bsize)
            .field("blocks", st.blocks)
            .field("bfree", st.bfree)
            .field("bavail", st.bavail)
            .field("files", st.files)
            .field("ffree", st.ffree)
            .field("use_percent", percent),
    );
}

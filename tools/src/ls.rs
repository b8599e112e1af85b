//! virt-ls: list files in a virtual machine.

use crate::common::args::flag;
use crate::common::csv::csv_field;
use crate::common::listing::{file_type_char, now, stat_fields, time_style, FieldOptions};
use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::{Arg, Command};
use guestfs::protocol::lossless;
use guestfs::types::StatNs;
use guestfs::Handle;
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-ls",
    description: "list files in a virtual machine",
    copyright: "Copyright (C) 2010-2012 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname dir [dir ...]",
        "{prog} [--options] -a disk.img [-a disk.img ...] dir [dir ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:hlm:RvVx",
        long: &[
            "add",
            "blocksize",
            "checksum",
            "checksums",
            "csv",
            "connect",
            "domain",
            "echo-keys",
            "extra-stat",
            "extra-stats",
            "format",
            "help",
            "human-readable",
            "key",
            "keys-from-stdin",
            "long",
            "long-options",
            "mount",
            "recursive",
            "short-options",
            "time",
            "times",
            "time-days",
            "time-relative",
            "time-t",
            "uid",
            "uids",
            "verbose",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-entry-records", "checksum"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-ls.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-ls")
        .about("list files in a virtual machine")
        .arg(args::add())
        .arg(args::blocksize())
        .arg(args::checksum("Display file checksums"))
        .arg(args::connect())
        .arg(args::csv("Comma-Separated Values output"))
        .arg(args::domain())
        .arg(args::echo_keys())
        .arg(args::extra_stats())
        .arg(args::format())
        .arg(args::help())
        .arg(args::human_readable("Human-readable sizes in output"))
        .arg(args::key())
        .arg(args::keys_from_stdin())
        .arg(flag("long").short('l').long("long").help("Long listing"))
        .arg(args::mount())
        .arg(
            flag("recursive")
                .short('R')
                .long("recursive")
                .help("Recursive listing"),
        )
        .args(args::times_and_uids())
        .args(args::trailing())
        .arg(args::inspector())
        .args(args::added())
        .arg(Arg::new("dirs").num_args(0..).value_name("dir"))
}

/// The -lR output options.
struct Listing {
    fields: FieldOptions,
    checksum: Option<String>,
}

fn run(ctx: &mut Ctx) -> i32 {
    crate::common::old_style_drives(ctx, ctx.operands.len().saturating_sub(1));
    let long = ctx.flag("long");
    let recursive = ctx.flag("recursive");
    let time_style = time_style(ctx, false);
    let listing = Listing {
        fields: FieldOptions {
            csv: ctx.flag("csv"),
            human: ctx.flag("human-readable"),
            uids: ctx.flag("uids"),
            pad_uids_in_csv: true,
            times: time_style,
            atime: true,
            extra_stats: ctx.flag("extra-stats"),
            now: now(),
        },
        checksum: ctx
            .value("checksum")
            .map(|c| if c.is_empty() { "md5".to_string() } else { c }),
    };
    let f = &listing.fields;
    let lr_only = f.csv
        || f.human
        || f.uids
        || f.times.is_some()
        || f.extra_stats
        || listing.checksum.is_some();
    if lr_only && !(long && recursive) {
        eprintln!(
            "{}: used a flag which can only be combined with -lR mode",
            ctx.prog
        );
        eprintln!("For more information, read the virt-ls(1) man page.");
        return 1;
    }
    if listing.fields.human && listing.fields.csv {
        eprintln!(
            "{}: you cannot use -h and --csv options together.",
            ctx.prog
        );
        return 1;
    }
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
    if let Err(code) = ctx.mount_guest(&mut g, true) {
        return code;
    }
    let mut out = ctx.human_out();
    let mut errors = 0;
    for dir in ctx.operands.clone() {
        let ok = match (long, recursive) {
            (false, false) => list_plain(ctx, &mut g, &dir, &mut out),
            (true, false) => list_long(ctx, &mut g, &dir, &mut out),
            (false, true) => list_recursive(ctx, &mut g, &dir, &mut out),
            (true, true) => list_long_recursive(ctx, &mut g, &dir, &listing, &mut out),
        };
        if !ok {
            errors += 1;
        }
    }
    let _ = out.flush();
    if errors > 0 {
        1
    } else {
        0
    }
}

fn list_plain(ctx: &Ctx, g: &mut Handle, dir: &str, out: &mut dyn Write) -> bool {
    match g.ls(dir) {
        Ok(names) => {
            for n in names {
                let _ = lossless::write_line(out, &n);
                ctx.record(Record::new("name").field("directory", dir).field("name", n));
            }
            true
        }
        Err(_) => false,
    }
}

fn list_long(ctx: &Ctx, g: &mut Handle, dir: &str, out: &mut dyn Write) -> bool {
    match g.ll(dir) {
        Ok(text) => {
            let _ = out.write_all(&lossless::bytes_of(&text));
            ctx.record(
                Record::new("ll")
                    .field("directory", dir)
                    .field("text", text),
            );
            true
        }
        Err(_) => false,
    }
}

fn list_recursive(ctx: &Ctx, g: &mut Handle, dir: &str, out: &mut dyn Write) -> bool {
    match g.find(dir) {
        Ok(paths) => {
            for p in paths {
                let _ = lossless::write_line(out, &p);
                ctx.record(Record::new("path").field("directory", dir).field("path", p));
            }
            true
        }
        Err(_) => false,
    }
}

/// `-lR`: the directory itself, then a depth-first walk with each directory's entries in
/// name order.
fn list_long_recursive(
    ctx: &Ctx,
    g: &mut Handle,
    dir: &str,
    listing: &Listing,
    out: &mut dyn Write,
) -> bool {
    let st = match g.lstatns(dir) {
        Ok(st) => st,
        Err(_) => return false,
    };
    if !show_file(ctx, g, dir, &st, None, listing, out) {
        return false;
    }
    if !st.is_dir() {
        return true;
    }
    visit(ctx, g, dir, listing, out, 0)
}

/// Directory nesting deeper than this cannot come from a real path (PATH_MAX is 4096).
const MAX_DEPTH: usize = 2048;

fn visit(
    ctx: &Ctx,
    g: &mut Handle,
    dir: &str,
    listing: &Listing,
    out: &mut dyn Write,
    depth: usize,
) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let names = match g.ls(dir) {
        Ok(n) => n,
        Err(_) => return false,
    };
    let stats = match g.lstatnslist(dir, &names) {
        Ok(s) => s,
        Err(_) => return false,
    };
    let links = match g.readlinklist(dir, &names) {
        Ok(l) => l,
        Err(_) => return false,
    };
    let mut ok = true;
    for ((name, st), link) in names.iter().zip(stats.iter()).zip(links.iter()) {
        let path = full_path(dir, name);
        if st.st_ino == -1 {
            continue;
        }
        let link = if st.is_symlink() {
            Some(link.as_str())
        } else {
            None
        };
        if !show_file(ctx, g, &path, st, link, listing, out) {
            ok = false;
        }
        if st.is_dir() && !visit(ctx, g, &path, listing, out, depth + 1) {
            ok = false;
        }
    }
    ok
}

/// The path of `name` in `dir`, as 1.48 joins them (only `/` is special).
fn full_path(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{}", name)
    } else {
        format!("{}/{}", dir, name)
    }
}

fn show_file(
    ctx: &Ctx,
    g: &mut Handle,
    path: &str,
    st: &StatNs,
    link: Option<&str>,
    listing: &Listing,
    out: &mut dyn Write,
) -> bool {
    let csv = listing.fields.csv;
    let mut fields = stat_fields(st, &listing.fields);
    let ftype = file_type_char(st.st_mode);
    let mut checksum = None;
    if let Some(kind) = &listing.checksum {
        if st.is_reg() {
            match g.checksum(kind, path) {
                Ok(c) => {
                    fields.push(c.clone());
                    checksum = Some(c);
                }
                Err(_) => return false,
            }
        } else if csv {
            fields.push(String::new());
        }
    }
    let line = if csv {
        fields.push(csv_field(path));
        if let Some(l) = link {
            fields.push(csv_field(l));
        }
        fields.join(",")
    } else {
        fields.push(path.to_string());
        if let Some(l) = link {
            fields.push(format!("-> {}", l));
        }
        fields.join(" ")
    };
    let _ = lossless::write_line(out, &line);
    if ctx.machine_readable() {
        ctx.record(
            Record::new("entry")
                .field("path", path)
                .field("kind", ftype)
                .field("mode", st.st_mode & 0o7777)
                .field("size", st.st_size)
                .field("uid", st.st_uid)
                .field("gid", st.st_gid)
                .field("atime", st.st_atime_sec)
                .field("mtime", st.st_mtime_sec)
                .field("ctime", st.st_ctime_sec)
                .field("ino", st.st_ino)
                .field("nlink", st.st_nlink)
                .field("blocks", st.st_blocks)
                .opt("link", link)
                .opt("checksum", checksum),
        );
    }
    true
}

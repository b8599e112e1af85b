//! virt-diff: list differences between virtual machines.

use crate::common::args::flag;
use crate::common::csv::csv_field;
use crate::common::listing::{now, stat_fields, time_style, FieldOptions};
use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::{Arg, ArgAction, Command};
use guestfs::types::StatNs;
use guestfs::Handle;
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-diff",
    description: "list differences between virtual machines",
    copyright: "Copyright (C) 2010-2020 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domain1 -D domain2",
        "{prog} [--options] -a disk1.img -A disk2.img [-a|-A ...]",
    ],
    tables: GetoptTables {
        short: "a:A:c:d:D:hvVx",
        long: &[
            "add",
            "all",
            "atime",
            "blocksize",
            "checksum",
            "checksums",
            "csv",
            "connect",
            "dir-link",
            "dir-links",
            "dir-nlink",
            "dir-nlinks",
            "dir-time",
            "dir-times",
            "domain",
            "echo-keys",
            "extra-stat",
            "extra-stats",
            "format",
            "help",
            "human-readable",
            "key",
            "keys-from-stdin",
            "long-options",
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
            "xattr",
            "xattrs",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-diff-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-diff.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-diff")
        .about("list differences between virtual machines")
        .arg(args::add().help("Add image from first guest"))
        .arg(
            flag("all")
                .long("all")
                .help("Same as: --extra-stats --times --uids --xattrs"),
        )
        .arg(
            flag("atime")
                .long("atime")
                .help("Don't ignore access time changes"),
        )
        .arg(
            Arg::new("add-second")
                .short('A')
                .action(ArgAction::Append)
                .value_name("image")
                .help("Add image from second guest"),
        )
        .arg(args::blocksize().help("Set sector size of the disk for -a or -A option"))
        .arg(args::checksum("Use checksum of file content"))
        .arg(args::connect())
        .arg(args::csv("Comma-Separated Values output"))
        .arg(
            flag("dir-links")
                .long("dir-links")
                .aliases(["dir-link", "dir-nlink", "dir-nlinks"])
                .help("Don't ignore directory nlink changes"),
        )
        .arg(
            flag("dir-times")
                .long("dir-times")
                .alias("dir-time")
                .help("Don't ignore directory time changes"),
        )
        .arg(args::domain().help("Add disks from first libvirt guest"))
        .arg(
            Arg::new("domain-second")
                .short('D')
                .action(ArgAction::Append)
                .value_name("guest")
                .help("Add disks from second libvirt guest"),
        )
        .arg(args::echo_keys())
        .arg(args::extra_stats())
        .arg(args::format().help("Force disk format for -a or -A option"))
        .arg(args::help())
        .arg(args::human_readable("Human-readable sizes in output"))
        .arg(args::key())
        .arg(args::keys_from_stdin())
        .args(args::times_and_uids())
        .args(args::trailing())
        .arg(
            flag("xattrs")
                .long("xattrs")
                .alias("xattr")
                .help("Display extended attributes"),
        )
        .args(args::added())
        .arg(Arg::new("extra-args").num_args(0..))
}

/// One file of a guest tree.
struct File {
    path: String,
    st: StatNs,
    link: Option<String>,
    xattrs: Vec<(String, Vec<u8>)>,
    checksum: Option<String>,
}

struct Options {
    fields: FieldOptions,
    xattrs: bool,
    checksum: Option<String>,
    atime: bool,
    dir_links: bool,
    dir_times: bool,
}

fn run(ctx: &mut Ctx) -> i32 {
    if let Some(extra) = ctx.operands.first().cloned() {
        eprintln!(
            "{}: error: extra argument ‘{}’ on command line.\nMake sure to specify the argument for --checksum or --format like '--format={}'.",
            ctx.prog, extra, extra
        );
        return ctx.try_help();
    }
    let all = ctx.flag("all");
    let csv = ctx.flag("csv");
    let human = ctx.flag("human-readable");
    if csv && human {
        eprintln!(
            "{}: you cannot use -h and --csv options together.",
            ctx.prog
        );
        return 1;
    }
    let times = time_style(ctx, all);
    let atime = ctx.flag("atime");
    let opts = Options {
        fields: FieldOptions {
            csv,
            human,
            uids: ctx.flag("uids") || all,
            pad_uids_in_csv: false,
            times,
            atime,
            extra_stats: ctx.flag("extra-stats") || all,
            now: now(),
        },
        xattrs: ctx.flag("xattrs") || all,
        checksum: ctx
            .value("checksum")
            .map(|c| if c.is_empty() { "md5".to_string() } else { c }),
        atime,
        dir_links: ctx.flag("dir-links"),
        dir_times: ctx.flag("dir-times"),
    };
    if !ctx.drives.iter().any(|d| !d.second) {
        return ctx.error("you must specify at least one -a or -d option.");
    }
    if !ctx.drives.iter().any(|d| d.second) {
        eprintln!(
            "{}: error: you must specify at least one -A or -D option.",
            ctx.prog
        );
        return ctx.try_help();
    }
    let mut g1 = match ctx.launch_drives(false, true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    if let Err(code) = ctx.inspect_and_mount(&mut g1, true) {
        return code;
    }
    let mut g2 = match ctx.launch_drives(true, true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    if let Err(code) = ctx.inspect_and_mount(&mut g2, true) {
        return code;
    }
    let tree1 = match walk(&mut g1, &opts) {
        Ok(t) => t,
        Err(_) => return 1,
    };
    let tree2 = match walk(&mut g2, &opts) {
        Ok(t) => t,
        Err(_) => return 1,
    };
    let mut out = ctx.human_out();
    let (mut i, mut j) = (0, 0);
    while i < tree1.len() || j < tree2.len() {
        let order = match (tree1.get(i), tree2.get(j)) {
            (Some(a), Some(b)) => a.path.as_bytes().cmp(b.path.as_bytes()),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                line(ctx, &mut *out, "-", &tree1[i], &opts);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                line(ctx, &mut *out, "+", &tree2[j], &opts);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                if compare(
                    ctx, &mut g1, &mut g2, &mut *out, &tree1[i], &tree2[j], &opts,
                )
                .is_err()
                {
                    return 1;
                }
                i += 1;
                j += 1;
            }
        }
    }
    let _ = out.flush();
    0
}

/// Every file of a guest, depth first with each directory's entries in name order, with
/// stats flattened by the options (atime and directory links/times are ignored unless asked
/// for).
fn walk(g: &mut Handle, o: &Options) -> guestfs::Result<Vec<File>> {
    let root = g.lstatns("/")?;
    let mut files = vec![make_file(g, "/".to_string(), root, None, o)?];
    visit(g, "/", o, &mut files, 0)?;
    Ok(files)
}

/// Directory nesting deeper than this cannot come from a real path (PATH_MAX is 4096).
const MAX_DEPTH: usize = 2048;

fn visit(
    g: &mut Handle,
    dir: &str,
    o: &Options,
    files: &mut Vec<File>,
    depth: usize,
) -> guestfs::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let names = g.ls(dir)?;
    let stats = g.lstatnslist(dir, &names)?;
    let links = g.readlinklist(dir, &names)?;
    for ((name, st), link) in names.into_iter().zip(stats).zip(links) {
        if st.st_ino == -1 {
            continue;
        }
        let path = if dir == "/" {
            format!("/{}", name)
        } else {
            format!("{}/{}", dir, name)
        };
        let link = st.is_symlink().then_some(link);
        let is_dir = st.is_dir();
        files.push(make_file(g, path.clone(), st, link, o)?);
        if is_dir {
            visit(g, &path, o, files, depth + 1)?;
        }
    }
    Ok(())
}

fn make_file(
    g: &mut Handle,
    path: String,
    mut st: StatNs,
    link: Option<String>,
    o: &Options,
) -> guestfs::Result<File> {
    if !o.atime {
        st.st_atime_sec = 0;
        st.st_atime_nsec = 0;
    }
    if st.is_dir() {
        if !o.dir_links {
            st.st_nlink = 0;
        }
        if !o.dir_times {
            st.st_atime_sec = 0;
            st.st_mtime_sec = 0;
            st.st_ctime_sec = 0;
        }
    }
    let checksum = match &o.checksum {
        Some(kind) if st.is_reg() => Some(g.checksum(kind, &path)?),
        _ => None,
    };
    let xattrs = if o.xattrs {
        g.lgetxattrs(&path)
            .unwrap_or_default()
            .into_iter()
            .map(|x| (x.attrname, x.attrval))
            .collect()
    } else {
        Vec::new()
    };
    Ok(File {
        path,
        st,
        link,
        xattrs,
        checksum,
    })
}

/// Bytes shown in an xattr value: printable ASCII as is, anything else as `\xHH`.
fn printable(v: &[u8]) -> String {
    let mut s = String::new();
    for &b in v {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{:02x}", b));
        }
    }
    s
}

fn line(ctx: &Ctx, out: &mut dyn Write, marker: &str, f: &File, o: &Options) {
    let csv = o.fields.csv;
    let mut fields = vec![marker.to_string()];
    fields.extend(stat_fields(&f.st, &o.fields));
    if o.checksum.is_some() {
        match &f.checksum {
            Some(c) => fields.push(c.clone()),
            None if csv => fields.push(String::new()),
            None => {}
        }
    }
    fields.push(if csv {
        csv_field(&f.path)
    } else {
        f.path.clone()
    });
    if let Some(l) = &f.link {
        fields.push(if csv {
            csv_field(l)
        } else {
            format!("-> {}", l)
        });
    }
    if o.xattrs {
        for (name, value) in &f.xattrs {
            let v = printable(value);
            fields.push(if csv { csv_field(name) } else { name.clone() });
            fields.push(if csv { csv_field(&v) } else { v });
        }
    }
    let _ = writeln!(out, "{}", fields.join(if csv { "," } else { " " }));
    ctx.record(
        Record::new("diff")
            .field("change", marker)
            .field("path", f.path.as_str())
            .field("mode", f.st.st_mode & 0o7777)
            .field("size", f.st.st_size)
            .opt("link", f.link.clone())
            .opt("checksum", f.checksum.clone()),
    );
}

/// The stat fields 1.48 compares, in the order `# changed:` lists them.
fn changed_fields(a: &File, b: &File) -> Vec<&'static str> {
    let (x, y) = (&a.st, &b.st);
    let pairs = [
        ("st_dev", x.st_dev == y.st_dev),
        ("st_ino", x.st_ino == y.st_ino),
        ("st_mode", x.st_mode == y.st_mode),
        ("st_nlink", x.st_nlink == y.st_nlink),
        ("st_uid", x.st_uid == y.st_uid),
        ("st_gid", x.st_gid == y.st_gid),
        ("st_rdev", x.st_rdev == y.st_rdev),
        ("st_size", x.st_size == y.st_size),
        ("st_blksize", x.st_blksize == y.st_blksize),
        ("st_blocks", x.st_blocks == y.st_blocks),
        ("st_atime_sec", x.st_atime_sec == y.st_atime_sec),
        ("st_mtime_sec", x.st_mtime_sec == y.st_mtime_sec),
        ("st_ctime_sec", x.st_ctime_sec == y.st_ctime_sec),
        ("xattrs", a.xattrs == b.xattrs),
    ];
    pairs
        .iter()
        .filter(|(_, same)| !same)
        .map(|(n, _)| *n)
        .collect()
}

fn compare(
    ctx: &Ctx,
    g1: &mut Handle,
    g2: &mut Handle,
    out: &mut dyn Write,
    a: &File,
    b: &File,
    o: &Options,
) -> Result<(), i32> {
    let changed = changed_fields(a, b);
    let checksums_differ = a.checksum != b.checksum;
    if changed.is_empty() && !checksums_differ {
        return Ok(());
    }
    let both_regular = a.st.is_reg() && b.st.is_reg();
    let content_changed = checksums_differ
        || (both_regular
            && (a.st.st_mtime_sec != b.st.st_mtime_sec
                || a.st.st_ctime_sec != b.st.st_ctime_sec
                || a.st.st_size != b.st.st_size));
    if content_changed {
        line(ctx, out, "=", a, o);
        if !o.fields.csv {
            diff_content(ctx, g1, g2, out, &a.path)?;
        }
        return Ok(());
    }
    line(ctx, out, "-", a, o);
    line(ctx, out, "+", b, o);
    let sep = if o.fields.csv { "," } else { " " };
    let _ = writeln!(out, "#{}changed:{}{}", sep, sep, changed.join(sep));
    Ok(())
}

/// `diff -u` of the two versions of a file, without its two header lines.
fn diff_content(
    ctx: &Ctx,
    g1: &mut Handle,
    g2: &mut Handle,
    out: &mut dyn Write,
    path: &str,
) -> Result<(), i32> {
    let dir = std::env::temp_dir().join(format!("virt-diff-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (f1, f2) = (dir.join("a"), dir.join("b"));
    let result = (|| -> Result<(), i32> {
        let mut w1 = std::fs::File::create(&f1).map_err(|_| 1)?;
        g1.download_to(path, &mut w1).map_err(|_| 1)?;
        let mut w2 = std::fs::File::create(&f2).map_err(|_| 1)?;
        g2.download_to(path, &mut w2).map_err(|_| 1)?;
        let _ = out.flush();
        let output = std::process::Command::new("diff")
            .arg("-u")
            .arg(&f1)
            .arg(&f2)
            .output()
            .map_err(|_| 1)?;
        if output.status.code().unwrap_or(2) > 1 {
            eprintln!("{}: external diff command failed", ctx.prog);
            return Err(1);
        }
        let text = output.stdout;
        let mut skipped = 0;
        let mut start = 0;
        while skipped < 2 && start < text.len() {
            match text[start..].iter().position(|&c| c == b'\n') {
                Some(n) => start += n + 1,
                None => start = text.len(),
            }
            skipped += 1;
        }
        let _ = out.write_all(&text[start..]);
        let _ = writeln!(out, "@@ End of diff @@");
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

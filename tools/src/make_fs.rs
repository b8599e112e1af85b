//! virt-make-fs: make a filesystem from a tar archive or files (`virt-make-fs [--options]
//! INPUT OUTPUT`). The input (see [`input`]) is measured, a disk of 1.48's estimated size (see
//! [`size`]) or of `--size` is created, optionally partitioned, a filesystem made on it, and
//! the input unpacked into it with tar_in.

mod host_ext;
mod input;
mod size;

use crate::common::c_numbers::scan_i32;
use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, write, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, Command};
use guestfs::protocol::lossless;
use guestfs::{AddDriveOpts, DiskCreateOpts, Handle, MkfsBtrfsOpts, MkfsOpts};
use input::{Input, Stream};
use std::path::{Path, PathBuf};

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-make-fs",
    description: "make a filesystem from a tar archive or files",
    copyright: "Copyright (C) 2010-2020 Red Hat Inc.",
    usage: &[
        "{prog} [--options] input.tar output.img",
        "{prog} [--options] input.tar.gz output.img",
        "{prog} [--options] directory output.img",
    ],
    tables: GetoptTables {
        short: "F:s:t:Vvx",
        long: &[
            "blocksize",
            "debug",
            "floppy",
            "format",
            "help",
            "label",
            "long-options",
            "partition",
            "short-options",
            "size",
            "type",
            "verbose",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-progress-records", "json-make-fs-records"],
    perl_style: false,
    help_text: Some(HELP),
    man: include_str!("../../man/src/virt-make-fs.txt"),
    command,
    run,
};

/// 1.48's hand-written `--help`, with this project's `--machine-readable`.
const HELP: &str = "{prog}: make a filesystem from a tar archive or files
Copyright (C) 2010-2020 Red Hat Inc.
Usage:
  {prog} [--options] input.tar output.img
  {prog} [--options] input.tar.gz output.img
  {prog} [--options] directory output.img
Options:
  --blocksize=512|4096     Set sector size of the output disk
  --floppy                 Make a virtual floppy disk
  -F|--format=raw|qcow2|.. Set output format
  --help                   Display brief help
  --label=label            Filesystem label
  --partition=mbr|gpt|..   Set partition type
  -s|--size=size|+size     Set size of output disk
  -t|--type=ext4|..        Set filesystem type
  -v|--verbose             Verbose messages
  -V|--version             Display version and exit
  -x                       Trace libguestfs API calls
  --machine-readable[=format]
                           Make output machine readable
For more information, see the manpage {prog}(1).
";

/// What `--floppy` stands for: a 1440K disk with an MBR partition holding vfat.
const FLOPPY_SIZE: &str = "1440K";
const FLOPPY_PARTITION: &str = "mbr";
const FLOPPY_TYPE: &str = "vfat";

/// 1.48's defaults.
const DEFAULT_FORMAT: &str = "raw";
const DEFAULT_TYPE: &str = "ext2";

fn command() -> Command {
    let value = |id: &'static str, name: &'static str| {
        Arg::new(id).action(ArgAction::Append).value_name(name)
    };
    Command::new("virt-make-fs")
        .about(SPEC.description)
        // Not the common --blocksize and --format: these are the output disk's, and need no
        // -a after them.
        .arg(
            value("sector-size", "512|4096")
                .long("blocksize")
                .help("Set sector size of the output disk"),
        )
        .arg(
            Arg::new("floppy")
                .long("floppy")
                .action(ArgAction::Count)
                .help("Make a virtual floppy disk"),
        )
        .arg(
            value("output-format", "raw|qcow2|..")
                .short('F')
                .long("format")
                .help("Set output format"),
        )
        .arg(args::help())
        .arg(
            value("label", "label")
                .long("label")
                .help("Filesystem label"),
        )
        .arg(
            value("partition", "mbr|gpt|..")
                .long("partition")
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("")
                .help("Set partition type"),
        )
        .arg(
            value("size", "size|+size")
                .short('s')
                .long("size")
                .help("Set size of output disk"),
        )
        .arg(
            value("type", "ext4|..")
                .short('t')
                .long("type")
                .help("Set filesystem type"),
        )
        .arg(args::verbose().alias("debug"))
        .arg(args::version())
        .arg(args::trace())
        .arg(
            Arg::new("operands")
                .num_args(0..)
                .value_name("input output"),
        )
        .args(args::added())
}

/// The settings of the command line, later options overriding earlier ones as in 1.48
/// (`--floppy` sets the size, partition and type at its place among them).
#[derive(Debug, PartialEq, Eq)]
struct Settings {
    format: String,
    fstype: String,
    size: Option<String>,
    /// The partition table type (`--partition` alone or empty: mbr).
    partition: Option<String>,
    label: Option<String>,
    /// The output disk's sector size; 0 for the default.
    sector_size: i32,
}

/// The last value of option `id` and where on the command line it was given.
fn last_with_index(ctx: &Ctx, id: &str) -> Option<(usize, String)> {
    let index = ctx.matches.indices_of(id)?.next_back()?;
    let value = ctx.matches.get_many::<String>(id)?.next_back()?;
    Some((index, value.clone()))
}

/// The value of `id` or of `--floppy`, whichever was given last.
fn with_floppy(ctx: &Ctx, id: &str, floppy: &str) -> Option<String> {
    let given = last_with_index(ctx, id);
    let floppy_at = (ctx.matches.value_source("floppy") == Some(ValueSource::CommandLine))
        .then(|| {
            ctx.matches
                .indices_of("floppy")
                .and_then(|mut i| i.next_back())
        })
        .flatten();
    match (given, floppy_at) {
        (Some((i, v)), Some(f)) if i > f => Some(v),
        (_, Some(_)) => Some(floppy.to_string()),
        (given, None) => given.map(|(_, v)| v),
    }
}

impl Settings {
    fn of(ctx: &Ctx) -> Result<Settings, String> {
        let sector_size = match ctx.value("sector-size") {
            Some(v) => scan_i32(&v).ok_or("--blocksize option is not numeric")?,
            None => 0,
        };
        let partition = with_floppy(ctx, "partition", FLOPPY_PARTITION).map(|p| {
            if p.is_empty() {
                "mbr".to_string()
            } else {
                p
            }
        });
        Ok(Settings {
            format: ctx
                .value("output-format")
                .unwrap_or_else(|| DEFAULT_FORMAT.into()),
            fstype: with_floppy(ctx, "type", FLOPPY_TYPE).unwrap_or_else(|| DEFAULT_TYPE.into()),
            size: with_floppy(ctx, "size", FLOPPY_SIZE),
            partition,
            label: ctx.value("label"),
            sector_size,
        })
    }
}

/// The output file, removed unless the tool gets to the end: from when it is created (or
/// from the start, when it did not exist), so that a file the user had is not removed by a
/// failure before anything was written to it.
struct Output {
    path: PathBuf,
    remove: bool,
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn run(ctx: &mut Ctx) -> i32 {
    let settings = match Settings::of(ctx) {
        Ok(s) => s,
        Err(msg) => return ctx.fail(&msg),
    };
    if ctx.operands.len() != 2 {
        eprintln!(
            "{}: missing input and output arguments on the command line",
            ctx.prog
        );
        return ctx.try_help();
    }
    let (input, output) = (ctx.operands[0].clone(), ctx.operands[1].clone());
    match make_fs(ctx, &settings, &input, &output) {
        Ok(size) => {
            ctx.record(
                Record::new("made")
                    .field("input", input)
                    .field("output", output)
                    .field("format", settings.format.as_str())
                    .field("filesystem", settings.fstype.as_str())
                    .opt("partition", settings.partition.as_deref())
                    .field("size", size),
            );
            0
        }
        Err(code) => code,
    }
}

/// Prints an input error as 1.48 does; returns exit status 1.
fn input_error(ctx: &Ctx, e: input::Error) -> i32 {
    for line in e.lines(&ctx.prog) {
        lossless::eprintln_bytes(&line);
    }
    1
}

/// Makes the filesystem; returns the size of the disk.
fn make_fs(ctx: &Ctx, s: &Settings, input: &str, output: &str) -> Result<u64, i32> {
    let input_path = lossless::os_str_of(input);
    let input_path = Path::new(&input_path);
    let found: Input = input::identify(input_path).map_err(|e| input_error(ctx, e))?;
    if ctx.verbose {
        eprintln!("input format = {}", found.description);
        eprintln!(
            "estimate = {} bytes ({} 1K blocks, {} 4K blocks)",
            found.size,
            found.size / 1024,
            found.size / 4096
        );
    }
    let estimate = size::estimate(found.size, &s.fstype, s.partition.is_some(), s.sector_size);
    let disk_size = match &s.size {
        None => estimate,
        Some(text) => size::parse(text, estimate).map_err(|msg| ctx.fail(&msg))?,
    };

    let mut g = ctx.handle();
    crate::common::choose_backend(&mut g, false);
    let output_path = PathBuf::from(lossless::os_str_of(output).into_owned());
    let mut guard = Output {
        remove: !output_path.exists(),
        path: output_path,
    };
    let create = DiskCreateOpts {
        preallocation: (s.format == "qcow2").then(|| "metadata".to_string()),
        ..Default::default()
    };
    g.disk_create(output, &s.format, disk_size as i64, create)
        .map_err(|_| 1)?;
    guard.remove = true;
    // A whole-disk ext2/3/4 from a directory is made on the host (see host_ext).
    if s.format == "raw"
        && s.partition.is_none()
        && s.sector_size == 0
        && found.kind == input::Kind::Directory
        && host_ext::applies(&s.fstype, s.label.as_deref(), input_path)
    {
        let label = s.label.as_deref();
        if host_ext::make(&s.fstype, label, input_path, &guard.path, disk_size) {
            if ctx.verbose {
                eprintln!("made {} filesystem from {} with mke2fs -d", s.fstype, input);
            }
            guard.remove = false;
            return Ok(disk_size);
        }
        // mke2fs may have written part of the disk: the appliance starts from an empty one.
        g.disk_create(output, &s.format, disk_size as i64, Default::default())
            .map_err(|_| 1)?;
    }
    let drive = AddDriveOpts {
        format: Some(s.format.clone()),
        blocksize: (s.sector_size != 0).then_some(s.sector_size),
        ..Default::default()
    };
    g.add_drive_opts(output, drive).map_err(|_| 1)?;
    g.launch().map_err(|_| 1)?;
    if s.fstype == "ntfs"
        && !g
            .feature_available(&["ntfs3g".into(), "ntfsprogs".into()])
            .map_err(|_| 1)?
    {
        return Err(ctx.fail("NTFS support was disabled when libguestfs was compiled"));
    }
    let device = partition(&mut g, s)?;
    if ctx.verbose {
        eprintln!("creating {} filesystem on {} ...", s.fstype, device);
    }
    make_filesystem(ctx, &mut g, s, &device)?;
    // vfat is mounted with utf8, to be able to store any name as the UCS-2 it keeps on disk.
    let options = if s.fstype == "vfat" { "utf8" } else { "" };
    g.mount_options(options, &device, "/").map_err(|_| 1)?;
    print_stats(ctx, &mut g, "before");

    let mut stream = Stream::open(input_path, &found.kind).map_err(|e| input_error(ctx, e))?;
    if ctx.verbose {
        eprintln!("uploading from {} to / ...", input);
    }
    let total = stream.len();
    g.tar_in_from(
        &mut g.progress_reader(&mut stream, total),
        "/",
        Default::default(),
    )
    .map_err(|_| 1)?;
    stream.finish().map_err(|e| input_error(ctx, e))?;
    print_stats(ctx, &mut g, "after");
    if ctx.verbose {
        eprintln!("finishing off");
    }
    write::finish(g)?;
    guard.remove = false;
    Ok(disk_size)
}

/// Partitions the disk when asked to; returns the device to make the filesystem on.
fn partition(g: &mut Handle, s: &Settings) -> Result<String, i32> {
    const DISK: &str = "/dev/sda";
    let Some(parttype) = &s.partition else {
        return Ok(DISK.to_string());
    };
    g.part_disk(DISK, parttype).map_err(|_| 1)?;
    if matches!(parttype.as_str(), "mbr" | "msdos") {
        if let Some(id) = write::mbr_id_of_filesystem(&s.fstype) {
            g.part_set_mbr_id(DISK, 1, id).map_err(|_| 1)?;
        }
    }
    Ok(format!("{}1", DISK))
}

fn make_filesystem(ctx: &Ctx, g: &mut Handle, s: &Settings, device: &str) -> Result<(), i32> {
    if s.fstype == "btrfs" {
        // Data and metadata are not duplicated (the size estimate counts on it).
        let opts = MkfsBtrfsOpts {
            datatype: Some("single".into()),
            metadata: Some("single".into()),
            label: s.label.clone(),
            ..Default::default()
        };
        return g.mkfs_btrfs(&[device.to_string()], opts).map_err(|_| 1);
    }
    let opts = MkfsOpts {
        label: s.label.clone(),
        ..Default::default()
    };
    g.push_error_handler_quiet();
    let made = g.mkfs(&s.fstype, device, opts);
    g.pop_error_handler();
    if made.is_ok() {
        return Ok(());
    }
    let why = g
        .last_error()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    ctx.fail(&format!(
        "'mkfs' (create filesystem) operation failed: {}",
        why
    ));
    if s.fstype == "fat" {
        eprintln!("Instead of 'fat', try 'vfat' (long filenames) or 'msdos' (short filenames).");
    } else {
        eprintln!("Is '{}' a correct filesystem type?", s.fstype);
    }
    Err(1)
}

/// With -v, the statvfs of the new filesystem before and after the copy.
fn print_stats(ctx: &Ctx, g: &mut Handle, before_or_after: &str) {
    if !ctx.verbose {
        return;
    }
    if let Ok(st) = g.statvfs("/") {
        eprintln!("{} uploading:", before_or_after);
        for (name, value) in [
            ("bsize", st.bsize),
            ("frsize", st.frsize),
            ("blocks", st.blocks),
            ("bfree", st.bfree),
            ("bavail", st.bavail),
            ("files", st.files),
            ("ffree", st.ffree),
            ("favail", st.favail),
            ("fsid", st.fsid),
            ("flag", st.flag),
            ("namemax", st.namemax),
        ] {
            eprintln!("  {} = {}", name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocksize_is_read_as_sscanf_reads_it() {
        assert_eq!(scan_i32("4096"), Some(4096));
        assert_eq!(scan_i32(" 512x"), Some(512));
        assert_eq!(scan_i32("-1"), Some(-1));
        assert_eq!(scan_i32("big"), None);
        assert_eq!(scan_i32("+"), None);
        assert_eq!(scan_i32(""), None);
    }
}

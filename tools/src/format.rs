//! virt-format: erase and make a blank disk (`virt-format [--options] -a disk.img [-a …]`).
//! Every disk is wiped of filesystem signatures and partition tables (or zeroed whole with
//! --wipe), then optionally given a partition table, an LVM logical volume and a filesystem.

use crate::common::output::Record;
use crate::common::{
    args, choose_backend, getopt::GetoptTables, write, Ctx, DriveSource, Exit, ToolSpec,
    GUESTFS_TOOLS_VERSION,
};
use clap::{Arg, ArgAction, Command};
use guestfs::{AddDriveOpts, Handle, MkfsOpts};

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-format",
    description: "erase and make a blank disk",
    copyright: "Copyright (C) 2012 Red Hat Inc.",
    usage: &["{prog} [--options] -a disk.img [-a disk.img ...]"],
    tables: GetoptTables {
        short: "a:vVx",
        long: &[
            "add",
            "blocksize",
            "filesystem",
            "format",
            "help",
            "label",
            "long-options",
            "lvm",
            "partition",
            "short-options",
            "verbose",
            "version",
            "wipe",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-format-records"],
    perl_style: false,
    help_text: Some(HELP),
    man: include_str!("../../man/src/virt-format.txt"),
    command,
    run,
};

/// What 1.48 prints after its help, and after the hint of every usage error.
const WARNING: &str = "IMPORTANT NOTE: This program ERASES ALL DATA on disks.";

/// 1.48's hand-written `--help`, with this project's `--machine-readable`.
const HELP: &str = "{prog}: erase and make a blank disk
Copyright (C) 2012 Red Hat Inc.

IMPORTANT NOTE: This program ERASES ALL DATA on disks.

Usage:
  {prog} [--options] -a disk.img [-a disk.img ...]
Options:
  -a|--add image       Add image
  --blocksize[=512|4096]
                       Set sector size of the disk for -a option
  --filesystem=..      Create empty filesystem
  --format[=raw|..]    Force disk format for -a option
  --help               Display brief help
  --label=..           Set filesystem label
  --lvm=..             Create Linux LVM2 logical volume
  --partition=..       Create / set partition type
  -v|--verbose         Verbose messages
  -V|--version         Display version and exit
  --wipe               Write zeroes over whole disk
  -x                   Trace libguestfs API calls
  --machine-readable[=format]
                       Make output machine readable
For more information, see the manpage {prog}(1).

IMPORTANT NOTE: This program ERASES ALL DATA on disks.

";

/// The volume group and logical volume of `--lvm` given without a name.
const DEFAULT_VG: &str = "VG";
const DEFAULT_LV: &str = "LV";

/// The partition table type of `--partition` given without a type: MBR for a disk smaller
/// than 2 TiB (the most MBR can address), GPT for a larger one.
const DEFAULT_PARTITION: &str = "DEFAULT";
const MBR_LIMIT: i64 = 2 << 40;

fn command() -> Command {
    let optional = |id: &'static str, name: &'static str| {
        Arg::new(id)
            .long(id)
            .action(ArgAction::Append)
            .value_name(name)
            .num_args(0..=1)
            .require_equals(true)
    };
    Command::new("virt-format")
        .about(SPEC.description)
        .after_help(WARNING)
        .arg(args::add())
        .arg(args::blocksize())
        .arg(
            Arg::new("filesystem")
                .long("filesystem")
                .action(ArgAction::Append)
                .value_name("..")
                .help("Create empty filesystem"),
        )
        .arg(args::format())
        .arg(args::help())
        .arg(
            Arg::new("label")
                .long("label")
                .action(ArgAction::Append)
                .value_name("..")
                .help("Set filesystem label"),
        )
        .arg(
            optional("lvm", "..")
                .default_missing_value(format!("/dev/{}/{}", DEFAULT_VG, DEFAULT_LV))
                .help("Create Linux LVM2 logical volume"),
        )
        .arg(
            optional("partition", "..")
                .default_missing_value(DEFAULT_PARTITION)
                .help("Create / set partition type"),
        )
        .args(args::trailing())
        .arg(
            Arg::new("wipe")
                .long("wipe")
                .action(ArgAction::SetTrue)
                .help("Write zeroes over whole disk"),
        )
        .arg(Arg::new("operands").num_args(0..).value_name("extra"))
        .args(args::added())
}

/// What to make on each disk.
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    /// The partition table type, DEFAULT for MBR or GPT by the disk's size.
    partition: Option<String>,
    /// The volume group and logical volume.
    lvm: Option<(String, String)>,
    filesystem: Option<String>,
    label: Option<String>,
    /// Zero every byte of the disks, not only the signatures and partition tables.
    wipe: bool,
}

/// `--lvm=/dev/VG/LV` or `VG/LV`: Err is 1.48's message.
fn parse_vg_lv(text: &str) -> Result<(String, String), String> {
    let name = text.strip_prefix("/dev/").unwrap_or(text);
    match name.split_once('/') {
        Some((vg, lv)) if !lv.contains('/') => Ok((vg.to_string(), lv.to_string())),
        _ => Err(format!("cannot parse --lvm option ({})", name)),
    }
}

impl Layout {
    fn of(ctx: &Ctx) -> Result<Layout, String> {
        let mut filesystem = None;
        for fs in ctx.values("filesystem") {
            filesystem = match fs.as_str() {
                "none" => None,
                // `--filesystem --lvm`: the next option taken as the filesystem.
                f if f.starts_with('-') => return Err("no filesystem was specified".into()),
                f => Some(f.to_string()),
            };
        }
        let mut lvm = None;
        for text in ctx.values("lvm") {
            if lvm.is_some() {
                return Err("--lvm option cannot be given multiple times".into());
            }
            lvm = match text.as_str() {
                "none" => None,
                text => Some(parse_vg_lv(text)?),
            };
        }
        let partition = match ctx.value("partition").as_deref() {
            Some("none") => None,
            Some(p) => Some(p.to_string()),
            None => Some(DEFAULT_PARTITION.to_string()),
        };
        Ok(Layout {
            partition,
            lvm,
            filesystem,
            label: ctx.value("label"),
            wipe: ctx.flag("wipe"),
        })
    }
}

/// 1.48's answer to a usage error: the hint and the warning; returns exit status 1.
fn usage_error(ctx: &Ctx) -> Exit {
    ctx.try_help();
    eprintln!("{}", WARNING);
    1
}

fn run(ctx: &mut Ctx) -> i32 {
    let layout = match Layout::of(ctx) {
        Ok(l) => l,
        Err(msg) => return ctx.fail(&msg),
    };
    if let Some(extra) = ctx.operands.first() {
        eprintln!(
            "{}: error: extra argument ‘{}’ on command line.\nMake sure to specify the argument for --format, --lvm or --partition like '--format={}'.",
            ctx.prog, extra, extra
        );
        return usage_error(ctx);
    }
    if ctx.drives.is_empty() {
        eprintln!(
            "{}: error: you must specify at least one -a option.",
            ctx.prog
        );
        return usage_error(ctx);
    }
    // The appliance's kernel can keep seeing the old partition tables or volume groups after
    // they were erased: then the appliance is started again and the disks erased again.
    for attempt in 0..2 {
        let mut g = match launch(ctx) {
            Ok(g) => g,
            Err(code) => return code,
        };
        match format_disks(&mut g, &layout) {
            Ok(Formatted::Done(devices)) => {
                if write::finish(g).is_err() {
                    return 1;
                }
                for device in devices {
                    ctx.record(
                        Record::new("formatted")
                            .field("device", device)
                            .opt("filesystem", layout.filesystem.as_deref()),
                    );
                }
                return 0;
            }
            Ok(Formatted::RescanFailed) if attempt == 0 => {
                if write::finish(g).is_err() {
                    return 1;
                }
            }
            Ok(Formatted::RescanFailed) => break,
            Err(code) => return code,
        }
    }
    ctx.fail("failed to rescan the disks after two attempts.  This\nmay mean there is some sort of partition table or disk\ndata which we are unable to remove.  If you think this\nis a bug, please file a bug at http://libguestfs.org/\n")
}

/// A handle with the disks added read-write (discarding what the guest frees where the
/// disk allows), launched.
fn launch(ctx: &Ctx) -> Result<Handle, Exit> {
    let mut g = ctx.handle();
    choose_backend(&mut g, false);
    for d in &ctx.drives {
        if let DriveSource::Image(path) = &d.source {
            let opts = AddDriveOpts {
                format: d.format.clone(),
                blocksize: d.blocksize.map(|b| b as i32),
                discard: Some("besteffort".into()),
                ..Default::default()
            };
            g.add_drive_opts(path, opts).map_err(|_| 1)?;
        }
    }
    g.launch().map_err(|_| 1)?;
    Ok(g)
}

enum Formatted {
    /// The devices formatted.
    Done(Vec<String>),
    /// The kernel could not be made to forget what was erased.
    RescanFailed,
}

fn format_disks(g: &mut Handle, layout: &Layout) -> Result<Formatted, Exit> {
    let have_wipefs = g.feature_available(&["wipefs".into()]).unwrap_or(false);
    let devices = g.list_devices().map_err(|_| 1)?;
    for device in &devices {
        if layout.wipe {
            g.zero_device(device).map_err(|_| 1)?;
        } else {
            if have_wipefs {
                g.wipefs(device).map_err(|_| 1)?;
            }
            g.zero(device).map_err(|_| 1)?;
        }
    }
    // Give the freed space back to the host where the disk allows; failing is not an error.
    g.push_error_handler_quiet();
    for device in &devices {
        let _ = g.blkdiscard(device);
    }
    g.pop_error_handler();
    if !rescan(g, &devices) {
        return Ok(Formatted::RescanFailed);
    }
    for device in &devices {
        format_disk(g, layout, device)?;
    }
    g.sync().map_err(|_| 1)?;
    Ok(Formatted::Done(devices))
}

/// Makes the kernel reread the (now absent) partition tables and volume groups; false when
/// it could not.
fn rescan(g: &mut Handle, devices: &[String]) -> bool {
    g.push_error_handler_quiet();
    let mut ok = true;
    for device in devices {
        ok &= g.blockdev_rereadpt(device).is_ok();
    }
    ok &= g.lvm_scan(true).is_ok();
    g.pop_error_handler();
    ok
}

fn format_disk(g: &mut Handle, layout: &Layout, device: &str) -> Result<(), Exit> {
    let mut target = device.to_string();
    if let Some(partition) = &layout.partition {
        let parttype = if partition == DEFAULT_PARTITION {
            let size = g.blockdev_getsize64(device).map_err(|_| 1)?;
            if size < MBR_LIMIT {
                "mbr"
            } else {
                "gpt"
            }
        } else {
            partition.as_str()
        };
        g.part_disk(device, parttype).map_err(|_| 1)?;
        target = format!("{}1", device);
        // Windows, among others, only looks at partitions of a type it knows.
        if matches!(parttype, "mbr" | "msdos") {
            let id = match (&layout.lvm, &layout.filesystem) {
                (Some(_), _) => Some(LVM_MBR_ID),
                (None, Some(fs)) => write::mbr_id_of_filesystem(fs),
                (None, None) => None,
            };
            if let Some(id) = id {
                // As in 1.48, a type byte that cannot be set is not an error.
                let _ = g.part_set_mbr_id(device, 1, id);
            }
        }
    }
    if let Some((vg, lv)) = &layout.lvm {
        g.pvcreate(&target).map_err(|_| 1)?;
        g.vgcreate(vg, std::slice::from_ref(&target))
            .map_err(|_| 1)?;
        g.lvcreate_free(lv, vg, 100).map_err(|_| 1)?;
        target = format!("/dev/{}/{}", vg, lv);
    }
    if let Some(fs) = &layout.filesystem {
        let opts = MkfsOpts {
            label: layout.label.clone(),
            ..Default::default()
        };
        g.mkfs(fs, &target, opts).map_err(|_| 1)?;
    }
    Ok(())
}

/// The MBR partition type byte of Linux LVM.
const LVM_MBR_ID: i32 = 0x8e;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lvm_names_are_read_as_1_48_reads_them() {
        let ok = |vg: &str, lv: &str| Ok((vg.to_string(), lv.to_string()));
        assert_eq!(parse_vg_lv("/dev/data/vol"), ok("data", "vol"));
        assert_eq!(parse_vg_lv("data/vol"), ok("data", "vol"));
        assert_eq!(parse_vg_lv("data/"), ok("data", ""));
        assert_eq!(
            parse_vg_lv("/dev/onlyvg"),
            Err("cannot parse --lvm option (onlyvg)".to_string())
        );
        assert_eq!(
            parse_vg_lv("a/b/c"),
            Err("cannot parse --lvm option (a/b/c)".to_string())
        );
    }
}

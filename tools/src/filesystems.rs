//! virt-filesystems: list filesystems, partitions, block devices, LVM in a VM.

use crate::common::args::flag;
use crate::common::csv::csv_field;
use crate::common::human::human_size;
use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::{Arg, Command};
use guestfs::Handle;
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-filesystems",
    description: "list filesystems, partitions, block devices, LVM in a VM",
    copyright: "Copyright (C) 2010 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname",
        "{prog} [--options] -a disk.img [-a disk.img ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:hlvVx",
        long: &[
            "add",
            "all",
            "blkdevs",
            "block-devices",
            "blocksize",
            "connect",
            "csv",
            "domain",
            "echo-keys",
            "extra",
            "filesystems",
            "format",
            "help",
            "human-readable",
            "keys-from-stdin",
            "logical-volumes",
            "logvols",
            "long",
            "long-options",
            "lvs",
            "no-title",
            "parts",
            "partitions",
            "physical-volumes",
            "physvols",
            "pvs",
            "short-options",
            "uuid",
            "uuids",
            "verbose",
            "version",
            "vgs",
            "volgroups",
            "volume-groups",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-row-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-filesystems.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-filesystems")
        .about("list filesystems, partitions, block devices, LVM in a VM")
        .arg(args::add())
        .arg(flag("all").long("all").help("Display everything"))
        .arg(
            flag("blkdevs")
                .long("blkdevs")
                .visible_alias("block-devices")
                .help("Display block devices"),
        )
        .arg(args::blocksize())
        .arg(args::connect())
        .arg(args::csv("Output as Comma-Separated Values"))
        .arg(args::domain())
        .arg(args::echo_keys())
        .arg(
            flag("extra")
                .long("extra")
                .help("Display swap and data filesystems"),
        )
        .arg(
            flag("filesystems")
                .long("filesystems")
                .help("Display mountable filesystems"),
        )
        .arg(args::format())
        .arg(args::human_readable(
            "Human-readable sizes in --long output",
        ))
        .arg(args::help())
        .arg(args::keys_from_stdin())
        .arg(flag("long").short('l').long("long").help("Long output"))
        .arg(
            flag("lvs")
                .long("lvs")
                .visible_alias("logvols")
                .visible_alias("logical-volumes")
                .help("Display LVM logical volumes"),
        )
        .arg(
            flag("no-title")
                .long("no-title")
                .help("No title in --long output"),
        )
        .arg(
            flag("parts")
                .long("parts")
                .visible_alias("partitions")
                .help("Display partitions"),
        )
        .arg(
            flag("pvs")
                .long("pvs")
                .visible_alias("physvols")
                .visible_alias("physical-volumes")
                .help("Display LVM physical volumes"),
        )
        .arg(
            flag("uuid")
                .long("uuid")
                .visible_alias("uuids")
                .help("Add UUIDs to --long output"),
        )
        .arg(args::verbose())
        .arg(args::version())
        .arg(
            flag("vgs")
                .long("vgs")
                .visible_alias("volgroups")
                .visible_alias("volume-groups")
                .help("Display LVM volume groups"),
        )
        .arg(args::trace())
        .args(args::added())
        .arg(Arg::new("extra-args").num_args(0..))
}

/// What is listed.
struct Output {
    filesystems: bool,
    extra: bool,
    partitions: bool,
    blockdevs: bool,
    lvs: bool,
    vgs: bool,
    pvs: bool,
}

/// Which columns are shown.
struct Columns {
    long: bool,
    vfs: bool,
    mbr: bool,
    uuid: bool,
}

/// The number of columns 1.48 can show; the width test for the gap counts all of them.
const NR_COLUMNS: usize = 8;

/// One row: the values of the shown columns (None is printed as `-`, or empty in CSV).
struct Row {
    kind: &'static str,
    cells: Vec<Option<String>>,
}

struct Table<'a> {
    ctx: &'a Ctx,
    cols: Columns,
    csv: bool,
    human: bool,
    rows: Vec<Row>,
    out: Box<dyn Write>,
}

impl Table<'_> {
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        name: &str,
        kind: &'static str,
        vfs_type: Option<&str>,
        label: Option<&str>,
        mbr_id: Option<i32>,
        size: Option<i64>,
        parents: Option<String>,
        uuid: Option<&str>,
    ) {
        let ne = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
        let mut cells = vec![Some(name.to_string())];
        if self.cols.long {
            cells.push(Some(kind.to_string()));
        }
        if self.cols.long && self.cols.vfs {
            cells.push(ne(vfs_type));
            cells.push(ne(label));
        }
        if self.cols.long && self.cols.mbr {
            cells.push(mbr_id.map(|id| format!("{:02x}", id)));
        }
        if self.cols.long {
            cells.push(size.map(|s| {
                if self.human {
                    human_size(s.max(0) as u64)
                } else {
                    s.to_string()
                }
            }));
            cells.push(parents.filter(|p| !p.is_empty()));
        }
        if self.cols.long && self.cols.uuid {
            cells.push(ne(uuid));
        }
        if self.ctx.machine_readable() {
            self.ctx.record(
                Record::new("row")
                    .field("name", name)
                    .field("kind", kind)
                    .opt("vfs_type", ne(vfs_type))
                    .opt("label", ne(label))
                    .opt("mbr_id", mbr_id.map(|id| format!("{:02x}", id)))
                    .opt("size", size)
                    .opt("uuid", ne(uuid)),
            );
        }
        self.push(Row { kind, cells });
    }

    fn push(&mut self, row: Row) {
        if self.csv {
            let line: Vec<String> = row
                .cells
                .iter()
                .map(|c| c.as_deref().map(csv_field).unwrap_or_default())
                .collect();
            let _ = writeln!(self.out, "{}", line.join(","));
        } else {
            self.rows.push(row);
        }
    }

    fn title(&mut self) {
        let mut cells = vec!["Name"];
        if self.cols.long {
            cells.push("Type");
        }
        if self.cols.long && self.cols.vfs {
            cells.push("VFS");
            cells.push("Label");
        }
        if self.cols.long && self.cols.mbr {
            cells.push("MBR");
        }
        if self.cols.long {
            cells.push("Size");
            cells.push("Parent");
        }
        if self.cols.long && self.cols.uuid {
            cells.push("UUID");
        }
        let cells = cells.into_iter().map(|s| Some(s.to_string())).collect();
        self.push(Row {
            kind: "title",
            cells,
        });
    }

    /// Text mode: aligned columns, `-` for empty values, no trailing spaces.
    fn finish(&mut self) {
        if !self.csv {
            let ncols = self.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
            let mut widths = vec![0usize; ncols];
            for r in &self.rows {
                for (i, c) in r.cells.iter().enumerate() {
                    let w = c.as_deref().map(|s| s.chars().count()).unwrap_or(1).max(1);
                    widths[i] = widths[i].max(w);
                }
            }
            let total: usize =
                widths.iter().map(|w| w + 2).sum::<usize>() + 2 * NR_COLUMNS.saturating_sub(ncols);
            let gap = if total > 72 { 1 } else { 2 };
            for r in &self.rows {
                let mut line = String::new();
                for (i, c) in r.cells.iter().enumerate() {
                    let s = c.as_deref().unwrap_or("-");
                    line.push_str(s);
                    if i + 1 < r.cells.len() {
                        let pad = widths[i] - s.chars().count() + gap;
                        line.push_str(&" ".repeat(pad));
                    }
                }
                let _ = writeln!(self.out, "{}", line);
                let _ = r.kind;
            }
        }
        let _ = self.out.flush();
    }
}

fn run(ctx: &mut Ctx) -> i32 {
    let csv = ctx.flag("csv");
    let human = ctx.flag("human-readable");
    if let Some(extra) = ctx.operands.first() {
        return ctx.extra_argument(&extra.clone(), "--format");
    }
    if human && csv {
        eprintln!(
            "{}: you cannot use -h and --csv options together.",
            ctx.prog
        );
        return 1;
    }
    let all = ctx.flag("all");
    let mut output = Output {
        filesystems: all || ctx.flag("filesystems") || ctx.flag("extra"),
        extra: all || ctx.flag("extra"),
        partitions: all || ctx.flag("parts"),
        blockdevs: all || ctx.flag("blkdevs"),
        lvs: all || ctx.flag("lvs"),
        vgs: all || ctx.flag("vgs"),
        pvs: all || ctx.flag("pvs"),
    };
    if !(output.filesystems
        || output.partitions
        || output.blockdevs
        || output.lvs
        || output.vgs
        || output.pvs)
    {
        output.filesystems = true;
    }
    let long = ctx.flag("long");
    let cols = Columns {
        long,
        vfs: output.filesystems,
        mbr: output.partitions,
        uuid: ctx.flag("uuid"),
    };
    let title = long && !ctx.flag("no-title");
    if let Err(code) = ctx.require_drives() {
        return code;
    }
    let mut g = match ctx.launch(true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let out = ctx.human_out();
    let mut table = Table {
        ctx,
        cols,
        csv,
        human,
        rows: Vec::new(),
        out,
    };
    if title {
        table.title();
    }
    let result = (|| -> guestfs::Result<()> {
        if output.filesystems {
            filesystems(&mut g, &mut table, output.extra)?;
        }
        if output.lvs {
            lvs(&mut g, &mut table)?;
        }
        if output.vgs {
            vgs(&mut g, &mut table)?;
        }
        if output.pvs {
            pvs(&mut g, &mut table)?;
        }
        if output.partitions {
            partitions(&mut g, &mut table)?;
        }
        if output.blockdevs {
            blockdevs(&mut g, &mut table)?;
        }
        Ok(())
    })();
    if result.is_err() {
        return 1;
    }
    table.finish();
    0
}

fn filesystems(g: &mut Handle, t: &mut Table, extra: bool) -> guestfs::Result<()> {
    // 1.48 lists an md array's members (md_stat order) as its filesystem's parents.
    let mds = if t.cols.long {
        quietly(g, |g| g.list_md_devices()).unwrap_or_default()
    } else {
        Vec::new()
    };
    for (dev, vfs_type) in g.list_filesystems()? {
        if !extra && (vfs_type == "swap" || vfs_type == "unknown") {
            continue;
        }
        let label = if t.cols.long {
            Some(quietly(g, |g| g.vfs_label(&dev)).unwrap_or_default())
        } else {
            None
        };
        let uuid = if t.cols.long && t.cols.uuid {
            Some(quietly(g, |g| g.vfs_uuid(&dev)).unwrap_or_default())
        } else {
            None
        };
        // 1.48 shows no size for a btrfs subvolume (it only asks for devices).
        let size = if t.cols.long && !dev.starts_with("btrfsvol:") {
            Some(filesystem_size(g, &dev)?)
        } else {
            None
        };
        let parents = if mds.contains(&dev) {
            let members = quietly(g, |g| g.md_stat(&dev)).unwrap_or_default();
            Some(
                members
                    .iter()
                    .map(|m| m.mdstat_device.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            )
        } else {
            None
        };
        t.row(
            &dev,
            "filesystem",
            Some(&vfs_type),
            label.as_deref(),
            None,
            size,
            parents,
            uuid.as_deref(),
        );
    }
    Ok(())
}

/// The size of a filesystem: blocks × bsize of a read-only mount, else the device's size.
fn filesystem_size(g: &mut Handle, dev: &str) -> guestfs::Result<i64> {
    let mounted = quietly(g, |g| g.mount_ro(dev, "/")).is_ok();
    if mounted {
        let st = quietly(g, |g| g.statvfs("/"));
        let _ = g.umount_all();
        if let Ok(st) = st {
            return Ok(st.blocks * st.bsize);
        }
    }
    g.blockdev_getsize64(dev)
}

/// Runs a call whose failure is expected and handled, without printing its error.
fn quietly<T>(
    g: &mut Handle,
    f: impl FnOnce(&mut Handle) -> guestfs::Result<T>,
) -> guestfs::Result<T> {
    g.push_error_handler_quiet();
    let r = f(g);
    g.pop_error_handler();
    r
}

fn lvs(g: &mut Handle, t: &mut Table) -> guestfs::Result<()> {
    for lv in g.lvs()? {
        let size = if t.cols.long {
            Some(g.blockdev_getsize64(&lv)?)
        } else {
            None
        };
        let parent = lv.rsplit_once('/').map(|(vg, _)| vg.to_string());
        let uuid = if t.cols.long && t.cols.uuid {
            Some(g.lvuuid(&lv)?)
        } else {
            None
        };
        t.row(&lv, "lv", None, None, None, size, parent, uuid.as_deref());
    }
    Ok(())
}

fn vgs(g: &mut Handle, t: &mut Table) -> guestfs::Result<()> {
    let pvs = g.pvs_full()?;
    for vg in g.vgs_full()? {
        let name = format!("/dev/{}", vg.vg_name);
        let parents = if t.cols.long {
            let uuids = g.vgpvuuids(&vg.vg_name)?;
            let names: Vec<String> = uuids
                .iter()
                .filter_map(|u| {
                    // vgpvuuids gives LVM's dashed form, pvs_full the 32 bare characters.
                    let bare = u.replace('-', "");
                    pvs.iter()
                        .find(|p| p.pv_uuid == bare)
                        .map(|p| p.pv_name.clone())
                })
                .collect();
            Some(names.join(","))
        } else {
            None
        };
        t.row(
            &name,
            "vg",
            None,
            None,
            None,
            Some(vg.vg_size),
            parents,
            Some(&vg.vg_uuid),
        );
    }
    Ok(())
}

fn pvs(g: &mut Handle, t: &mut Table) -> guestfs::Result<()> {
    for pv in g.pvs_full()? {
        t.row(
            &pv.pv_name,
            "pv",
            None,
            None,
            None,
            Some(pv.pv_size),
            None,
            Some(&pv.pv_uuid),
        );
    }
    Ok(())
}

fn partitions(g: &mut Handle, t: &mut Table) -> guestfs::Result<()> {
    for part in g.list_partitions()? {
        let mut mbr_id = None;
        let mut size = None;
        let mut parent = None;
        if t.cols.long {
            let disk = g.part_to_dev(&part)?;
            if t.cols.mbr {
                mbr_id = quietly(g, |g| {
                    if g.part_get_parttype(&disk)? != "msdos" {
                        return Err(guestfs::Error::msg("not msdos"));
                    }
                    let n = g.part_to_partnum(&part)?;
                    g.part_get_mbr_id(&disk, n)
                })
                .ok();
            }
            size = Some(g.blockdev_getsize64(&part)?);
            parent = Some(disk);
        }
        t.row(&part, "partition", None, None, mbr_id, size, parent, None);
    }
    Ok(())
}

fn blockdevs(g: &mut Handle, t: &mut Table) -> guestfs::Result<()> {
    for dev in g.list_devices()? {
        let size = if t.cols.long {
            Some(g.blockdev_getsize64(&dev)?)
        } else {
            None
        };
        t.row(&dev, "device", None, None, None, size, None, None);
    }
    Ok(())
}

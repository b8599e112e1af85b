//! virt-inspector: display information about a virtual machine.

use crate::common::output::{object, Record};
use crate::common::xml::XmlWriter;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::{Arg, ArgAction, Command};
use guestfs::Handle;
use serde_json::Value;
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-inspector",
    description: "display information about a virtual machine",
    copyright: "Copyright (C) 2010 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname",
        "{prog} [--options] -a disk.img [-a disk.img ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:vVx",
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
            "no-applications",
            "no-icon",
            "short-options",
            "verbose",
            "version",
            "xpath",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-operatingsystem-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-inspector.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-inspector")
        .about(SPEC.description)
        .args(args::leading())
        .args(args::format_help_keys())
        .arg(
            Arg::new("no-applications")
                .long("no-applications")
                .action(ArgAction::SetTrue)
                .help("Do not output the installed applications"),
        )
        .arg(
            Arg::new("no-icon")
                .long("no-icon")
                .action(ArgAction::SetTrue)
                .help("Do not output the guest icon"),
        )
        .args(args::trailing())
        .arg(
            Arg::new("xpath")
                .long("xpath")
                .action(ArgAction::Set)
                .value_name("query")
                .help("Perform an XPath query"),
        )
        .arg(Arg::new("disks").num_args(0..))
        .args(args::added())
}

const NO_OS: &str = "no operating system could be detected inside this disk image.\n\nThis may be because the file is not a disk image, or is not a virtual machine\nimage, or because the OS type is not understood by libguestfs.\n\nNOTE for Red Hat Enterprise Linux 6 users: for Windows guest support you must\ninstall the separate libguestfs-winsupport package.\n\nIf you feel this is an error, please file a bug report including as much\ninformation about the disk image as possible.";

fn run(ctx: &mut Ctx) -> i32 {
    if let Some(query) = ctx.value("xpath") {
        if !ctx.drives.is_empty() || !ctx.operands.is_empty() {
            eprintln!(
                "{}: cannot use --xpath together with other options.",
                ctx.prog
            );
            return 1;
        }
        return crate::common::xpath::run_query(ctx, &query);
    }
    // Old-style: with no -a/-d, every operand is a disk image or a libvirt guest.
    let n = ctx.operands.len();
    crate::common::old_style_drives(ctx, n);
    if let Err(code) = ctx.require_drives() {
        return code;
    }
    let apps = !ctx.flag("no-applications");
    let icon = !ctx.flag("no-icon");
    let mut g = match ctx.launch(true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    if ctx.decrypt(&mut g).is_err() {
        return 1;
    }
    let roots = match g.inspect_os() {
        Ok(r) => r,
        Err(_) => return ctx.fail(NO_OS),
    };
    let mut w = XmlWriter::new();
    w.start("operatingsystems");
    for root in &roots {
        if output_root(ctx, &mut g, &mut w, root, apps, icon).is_err() {
            return 1;
        }
    }
    w.end();
    let xml = w.finish();
    if !ctx.machine_on_stdout() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(xml.as_bytes());
        let _ = out.flush();
    }
    0
}

/// Compares mountpoints by length, then bytewise (so `/` comes first).
fn by_length(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn quiet<T>(g: &mut Handle, f: impl FnOnce(&mut Handle) -> guestfs::Result<T>) -> Option<T> {
    g.push_error_handler_quiet();
    let r = f(g).ok();
    g.pop_error_handler();
    r
}

fn known(s: String) -> Option<String> {
    (s != "unknown").then_some(s)
}

fn output_root(
    ctx: &Ctx,
    g: &mut Handle,
    w: &mut XmlWriter,
    root: &str,
    apps: bool,
    icon: bool,
) -> guestfs::Result<()> {
    let mut record = Record::new("operatingsystem");
    let field = |w: &mut XmlWriter, record: &mut Record, name: &str, value: Option<String>| {
        if let Some(v) = value {
            w.element(name, &v);
            *record = std::mem::take(record).field(name, v);
        }
    };
    w.start("operatingsystem");
    let canonical_root = g.canonical_device_name(root)?;
    field(w, &mut record, "root", Some(canonical_root));
    let v = known(g.inspect_get_type(root)?);
    field(w, &mut record, "name", v);
    let v = known(g.inspect_get_arch(root)?);
    field(w, &mut record, "arch", v);
    let v = known(g.inspect_get_distro(root)?);
    field(w, &mut record, "distro", v);
    let v = known(g.inspect_get_product_name(root)?);
    field(w, &mut record, "product_name", v);
    let v = known(g.inspect_get_product_variant(root)?);
    field(w, &mut record, "product_variant", v);
    let major = g.inspect_get_major_version(root)?;
    field(w, &mut record, "major_version", Some(major.to_string()));
    let minor = g.inspect_get_minor_version(root)?;
    field(w, &mut record, "minor_version", Some(minor.to_string()));
    let v = known(g.inspect_get_package_format(root)?);
    field(w, &mut record, "package_format", v);
    let v = known(g.inspect_get_package_management(root)?);
    field(w, &mut record, "package_management", v);
    let v = quiet(g, |g| g.inspect_get_windows_systemroot(root));
    field(w, &mut record, "windows_systemroot", v);
    let v = quiet(g, |g| g.inspect_get_windows_current_control_set(root));
    field(w, &mut record, "windows_current_control_set", v);
    let v = known(g.inspect_get_hostname(root)?);
    field(w, &mut record, "hostname", v);
    let v = known(g.inspect_get_osinfo(root)?);
    field(w, &mut record, "osinfo", v);

    let mut mountpoints = g.inspect_get_mountpoints(root)?;
    mountpoints.sort_by(|a, b| by_length(&a.0, &b.0));
    w.start("mountpoints");
    let mut mp_json = Vec::new();
    for (mp, dev) in &mountpoints {
        let canon = g.canonical_device_name(dev)?;
        w.start("mountpoint");
        w.attribute("dev", &canon);
        w.text(mp);
        w.end();
        mp_json.push(object([
            ("dev", Value::from(canon)),
            ("mountpoint", Value::from(mp.as_str())),
        ]));
    }
    w.end();
    record = record.field("mountpoints", Value::Array(mp_json));

    let mut filesystems = g.inspect_get_filesystems(root)?;
    filesystems.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    w.start("filesystems");
    let mut fs_json = Vec::new();
    for fs in &filesystems {
        let canon = g.canonical_device_name(fs)?;
        w.start("filesystem");
        w.attribute("dev", &canon);
        let mut obj = vec![("dev", Value::from(canon))];
        for (elem, value) in [
            ("type", quiet(g, |g| g.vfs_type(fs))),
            ("label", quiet(g, |g| g.vfs_label(fs))),
            ("uuid", quiet(g, |g| g.vfs_uuid(fs))),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                w.element(elem, &v);
                obj.push((elem, Value::from(v)));
            }
        }
        w.end();
        fs_json.push(object(obj));
    }
    w.end();
    record = record.field("filesystems", Value::Array(fs_json));

    let mut drives = g.inspect_get_drive_mappings(root)?;
    if !drives.is_empty() {
        drives.sort_by_key(|d| d.0.to_ascii_lowercase());
        w.start("drive_mappings");
        let mut dm_json = Vec::new();
        for (letter, dev) in &drives {
            let canon = g.canonical_device_name(dev)?;
            w.start("drive_mapping");
            w.attribute("name", letter);
            w.text(&canon);
            w.end();
            dm_json.push(object([
                ("name", Value::from(letter.as_str())),
                ("dev", Value::from(canon)),
            ]));
        }
        w.end();
        record = record.field("drive_mappings", Value::Array(dm_json));
    }

    if apps || icon {
        mount_for_inspector(g, &mountpoints);
        if apps {
            let list = g.inspect_list_applications2(root)?;
            w.start("applications");
            let mut app_json = Vec::new();
            for a in &list {
                w.start("application");
                let mut obj = Vec::new();
                let mut put = |w: &mut XmlWriter, name: &'static str, v: &str| {
                    if !v.is_empty() {
                        w.element(name, v);
                        obj.push((name, Value::from(v)));
                    }
                };
                put(w, "name", &a.app2_name);
                put(w, "display_name", &a.app2_display_name);
                if a.app2_epoch != 0 {
                    put(w, "epoch", &a.app2_epoch.to_string());
                }
                put(w, "version", &a.app2_version);
                put(w, "release", &a.app2_release);
                put(w, "arch", &a.app2_arch);
                put(w, "install_path", &a.app2_install_path);
                put(w, "publisher", &a.app2_publisher);
                put(w, "url", &a.app2_url);
                put(w, "source_package", &a.app2_source_package);
                put(w, "summary", &a.app2_summary);
                put(w, "description", &a.app2_description);
                w.end();
                app_json.push(object(obj));
            }
            w.end();
            record = record.field("applications", Value::Array(app_json));
        }
        if icon {
            if let Ok(png) = g.inspect_get_icon(
                root,
                guestfs::InspectGetIconOpts {
                    favicon: Some(false),
                    highquality: Some(false),
                },
            ) {
                if !png.is_empty() {
                    w.start("icon");
                    w.base64(&png);
                    w.end();
                    record = record.field("icon_bytes", png.len() as u64);
                }
            }
        }
        let _ = g.umount_all();
    }
    w.end();
    ctx.record(record);
    Ok(())
}

/// Mounts the guest's filesystems read-only, shortest mountpoint first; bogus fstab entries
/// may fail to mount and are ignored.
fn mount_for_inspector(g: &mut Handle, mountpoints: &[(String, String)]) {
    for (mp, dev) in mountpoints {
        let _ = g.mount_ro(dev, mp);
    }
}

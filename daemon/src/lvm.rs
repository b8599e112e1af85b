//! LVM and md: activated on first use (not at boot), through the lvm and mdadm programs.

use crate::devices::from_kernel;
use crate::sys::run_ok;
use guestfs_protocol::{Error, LvmLv, LvmPv, LvmVg, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Our own LVM configuration: no devices file, no udev (there is none in the appliance).
pub const LVM_SYSTEM_DIR: &str = "/run/lvm-guestfs";

/// The configuration after the `devices` section's settings (which [`lvm_conf`] writes,
/// with the filter when one is set).
const LVM_CONF_REST: &str = "}\nactivation {\n  udev_sync = 0\n  udev_rules = 0\n  verify_udev_operations = 1\n  monitoring = 0\n}\nglobal {\n  locking_dir = \"/run/lock/lvm\"\n}\nbackup {\n  backup = 0\n  archive = 0\n}\n";

static LVM_ACTIVE: AtomicBool = AtomicBool::new(false);
static MD_ACTIVE: AtomicBool = AtomicBool::new(false);

/// The device filter `lvm_set_filter` set (LVM's `filter` and `global_filter` rules), if any.
static FILTER: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Our lvm.conf: no devices file, no udev, and the filter when one is set.
fn lvm_conf(filter: &[String]) -> String {
    let mut conf = String::from(
        "devices {\n  use_devicesfile = 0\n  write_cache_state = 0\n  obtain_device_list_from_udev = 0\n  scan_lvs = 0\n",
    );
    if !filter.is_empty() {
        let rules: Vec<String> = filter.iter().map(|r| format!("\"{}\"", r)).collect();
        for kind in ["filter", "global_filter"] {
            conf.push_str(&format!("  {} = [ {} ]\n", kind, rules.join(", ")));
        }
    }
    conf + LVM_CONF_REST
}

fn prepare() -> Result<()> {
    let _ = std::fs::create_dir_all(LVM_SYSTEM_DIR);
    let _ = std::fs::create_dir_all("/run/lock/lvm");
    let filter = FILTER.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let path = format!("{}/lvm.conf", LVM_SYSTEM_DIR);
    std::fs::write(&path, lvm_conf(&filter))
        .map_err(|e| crate::sys::io_error(&e, &format!("open: {}", path)))
}

/// Replaces the device filter (empty: every device) and writes the configuration.
pub fn set_filter(rules: Vec<String>) -> Result<()> {
    *FILTER.lock().unwrap_or_else(|e| e.into_inner()) = rules;
    prepare()
}

/// Assembles md arrays (once): the modules, then `mdadm --assemble --scan`.
pub fn activate_md() {
    if MD_ACTIVE.swap(true, Ordering::SeqCst) {
        return;
    }
    crate::devices::disks();
    // Quick check: without any md superblock there is nothing to do.
    for m in ["md_mod", "raid0", "raid1", "raid10", "raid456"] {
        crate::modules::load(m);
    }
    // As 1.48's init: complete arrays first (they take the first md numbers), then the
    // degraded ones.
    let _ = crate::sys::run(
        "mdadm",
        &["--assemble", "--scan", "--auto=yes", "--no-degraded"],
    );
    let _ = crate::sys::run("mdadm", &["--assemble", "--scan", "--auto=yes", "--run"]);
}

/// Activates every volume group (once).
pub fn activate() {
    if LVM_ACTIVE.swap(true, Ordering::SeqCst) {
        return;
    }
    crate::devices::disks();
    activate_md();
    crate::modules::load("dm_mod");
    let _ = prepare();
    let _ = crate::sys::run("lvm", &["vgchange", "--sysinit", "-a", "ay"]);
}

/// Scans the devices for volume groups again (new PVs appear after a LUKS device is opened);
/// the devices are set up for LVM first.
pub fn rescan() {
    LVM_ACTIVE.store(true, Ordering::SeqCst);
    crate::modules::load("dm_mod");
    let _ = prepare();
    let _ = crate::sys::run("lvm", &["vgscan", "--mknodes"]);
}

fn lines(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

pub fn pvs() -> Result<Vec<String>> {
    activate();
    Ok(lines(&run_ok(
        "lvm",
        &["pvs", "-o", "pv_name", "--noheadings"],
    )?))
}

pub fn vgs() -> Result<Vec<String>> {
    activate();
    let mut v = lines(&run_ok("lvm", &["vgs", "-o", "vg_name", "--noheadings"])?);
    v.sort();
    Ok(v)
}

pub fn lvs() -> Result<Vec<String>> {
    activate();
    let out = run_ok(
        "lvm",
        &[
            "lvs",
            "-o",
            "vg_name,lv_name",
            "-S",
            "lv_role=public && lv_skip_activation!=yes",
            "--noheadings",
            "--separator",
            "/",
        ],
    )?;
    let mut v: Vec<String> = lines(&out)
        .into_iter()
        .map(|l| format!("/dev/{}", l))
        .collect();
    v.sort();
    Ok(v)
}

const PV_COLS: &str = "pv_name,pv_uuid,pv_fmt,pv_size,dev_size,pv_free,pv_used,pv_attr,pv_pe_count,pv_pe_alloc_count,pv_tags,pe_start,pv_mda_count,pv_mda_free";
const VG_COLS: &str = "vg_name,vg_uuid,vg_fmt,vg_attr,vg_size,vg_free,vg_sysid,vg_extent_size,vg_extent_count,vg_free_count,max_lv,max_pv,pv_count,lv_count,snap_count,vg_seqno,vg_tags,vg_mda_count,vg_mda_free";
const LV_COLS: &str = "lv_name,lv_uuid,lv_attr,lv_major,lv_minor,lv_kernel_major,lv_kernel_minor,lv_size,seg_count,origin,snap_percent,copy_percent,move_pv,lv_tags,mirror_log,modules";

/// Rows of an `lvm pvs|vgs|lvs` report, fields split on `\r`.
fn report(cmd: &str, cols: &str, ncols: usize) -> Result<Vec<Vec<String>>> {
    activate();
    let mut args = vec![
        cmd,
        "-o",
        cols,
        "--unbuffered",
        "--noheadings",
        "--nosuffix",
        "--separator",
        "\r",
        "--units",
        "b",
    ];
    if cmd == "lvs" {
        args.extend(["-S", "lv_role=public"]);
    }
    let out = run_ok("lvm", &args)?;
    let mut rows = Vec::new();
    // Not lines(): it would take the last "\r" separator for part of a "\r\n".
    for line in out.split('\n') {
        let line = line.trim_start();
        if line.is_empty() {
            continue;
        }
        let f: Vec<String> = line.split('\r').map(|s| s.trim().to_string()).collect();
        if f.len() != ncols {
            return Err(Error::new(
                libc::EINVAL,
                format!("{}: unexpected output from lvm: {}", cmd, line),
            ));
        }
        rows.push(f);
    }
    Ok(rows)
}

fn int(s: &str) -> i64 {
    s.trim().parse().unwrap_or(0)
}

fn pct(s: &str) -> Option<f32> {
    s.trim().parse().ok()
}

fn uuid(s: &str) -> String {
    s.replace('-', "")
}

pub fn pvs_full() -> Result<Vec<LvmPv>> {
    Ok(report("pvs", PV_COLS, 14)?
        .into_iter()
        .map(|f| LvmPv {
            pv_name: from_kernel(&f[0]),
            pv_uuid: uuid(&f[1]),
            pv_fmt: f[2].clone(),
            pv_size: int(&f[3]),
            dev_size: int(&f[4]),
            pv_free: int(&f[5]),
            pv_used: int(&f[6]),
            pv_attr: f[7].clone(),
            pv_pe_count: int(&f[8]),
            pv_pe_alloc_count: int(&f[9]),
            pv_tags: f[10].clone(),
            pe_start: int(&f[11]),
            pv_mda_count: int(&f[12]),
            pv_mda_free: int(&f[13]),
        })
        .collect())
}

pub fn vgs_full() -> Result<Vec<LvmVg>> {
    Ok(report("vgs", VG_COLS, 19)?
        .into_iter()
        .map(|f| LvmVg {
            vg_name: f[0].clone(),
            vg_uuid: uuid(&f[1]),
            vg_fmt: f[2].clone(),
            vg_attr: f[3].clone(),
            vg_size: int(&f[4]),
            vg_free: int(&f[5]),
            vg_sysid: f[6].clone(),
            vg_extent_size: int(&f[7]),
            vg_extent_count: int(&f[8]),
            vg_free_count: int(&f[9]),
            max_lv: int(&f[10]),
            max_pv: int(&f[11]),
            pv_count: int(&f[12]),
            lv_count: int(&f[13]),
            snap_count: int(&f[14]),
            vg_seqno: int(&f[15]),
            vg_tags: f[16].clone(),
            vg_mda_count: int(&f[17]),
            vg_mda_free: int(&f[18]),
        })
        .collect())
}

pub fn lvs_full() -> Result<Vec<LvmLv>> {
    Ok(report("lvs", LV_COLS, 16)?
        .into_iter()
        .map(|f| LvmLv {
            lv_name: f[0].clone(),
            lv_uuid: uuid(&f[1]),
            lv_attr: f[2].clone(),
            lv_major: int(&f[3]),
            lv_minor: int(&f[4]),
            lv_kernel_major: int(&f[5]),
            lv_kernel_minor: int(&f[6]),
            lv_size: int(&f[7]),
            seg_count: int(&f[8]),
            origin: f[9].clone(),
            snap_percent: pct(&f[10]),
            copy_percent: pct(&f[11]),
            move_pv: f[12].clone(),
            lv_tags: f[13].clone(),
            mirror_log: f[14].clone(),
            modules: f[15].clone(),
        })
        .collect())
}

/// One UUID column of one object (`lvm lvs -o lv_uuid /dev/VG/LV`), dashes removed.
pub fn one_uuid(cmd: &str, col: &str, object: &str) -> Result<String> {
    activate();
    let out = run_ok("lvm", &[cmd, "-o", col, "--noheadings", object])?;
    // LVM's own form, with its dashes (only the *_full structs carry 32 bare characters).
    Ok(out.trim().to_string())
}

pub fn uuid_list(cmd: &str, col: &str, object: &str) -> Result<Vec<String>> {
    activate();
    let out = run_ok("lvm", &[cmd, "-o", col, "--noheadings", object])?;
    Ok(lines(&out))
}

/// The device number of a path (symlinks followed), as `lv_canonical` compares them.
fn rdev(path: &str) -> Result<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .map(|m| m.rdev())
        .map_err(|e| crate::sys::io_error(&e, &format!("stat: {}", path)))
}

/// Every logical volume's `/dev/VG/LV` name with its device number.
pub fn lv_device_numbers() -> Result<Vec<(u64, String)>> {
    lvs()?.into_iter().map(|lv| Ok((rdev(&lv)?, lv))).collect()
}

/// The canonical `/dev/VG/LV` name of a device that is a logical volume (by any of its names:
/// `/dev/mapper/VG-LV`, `/dev/dm-N`), found by device number among `lvs` as 1.48's
/// `lv_canonical` does.
pub fn lv_canonical_among(device: &str, lvs: &[(u64, String)]) -> Result<Option<String>> {
    let want = rdev(device)?;
    Ok(lvs
        .iter()
        .find(|(r, _)| *r == want)
        .map(|(_, lv)| lv.clone()))
}

/// [`lv_canonical_among`] every logical volume.
pub fn lv_canonical(device: &str) -> Result<Option<String>> {
    // The device is checked first, as 1.48 does (its error comes before lvm's).
    rdev(device)?;
    lv_canonical_among(device, &lv_device_numbers()?)
}

//! ext2/3/4 through e2fsprogs, as 1.48's daemon runs it: mke2fs and external journals,
//! tune2fs, e2fsck, resize2fs, labels and UUIDs, lost+found.

use crate::sys::{command_ok, command_r};
use guestfs_protocol::{E2fsckOpts, Error, Mke2fsOpts, Result, Tune2fsOpts};

/// Longest label an ext2/3/4 superblock holds.
pub const EXT2_LABEL_MAX: usize = 16;

pub fn is_extfs(fstype: &str) -> bool {
    matches!(fstype, "ext2" | "ext3" | "ext4")
}

fn check_label(label: &str) -> Result<()> {
    if label.len() > EXT2_LABEL_MAX {
        return Err(Error::msg(format!(
            "{}: ext2/3/4 labels are limited to {} bytes",
            label, EXT2_LABEL_MAX
        )));
    }
    Ok(())
}

fn check_fstype(fstype: &str) -> Result<()> {
    if !is_extfs(fstype) {
        return Err(Error::msg(format!(
            "{}: not a valid extended filesystem type",
            fstype
        )));
    }
    Ok(())
}

/// Runs an argument vector; the failure is its standard error after `prefix: ` (or alone).
fn run(argv: &[String], prefix: &str) -> Result<()> {
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    command_ok(&argv[0], &args, false, prefix).map(|_| ())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `tune2fs -l`: the superblock's fields in order, "" for the values tune2fs shows as none.
pub fn tune2fs_l(device: &str) -> Result<Vec<(String, String)>> {
    let out = command_ok("tune2fs", &["-l", device], false, "")?;
    let mut text = out.as_str();
    if text.starts_with("tune2fs ") || text.starts_with("tune4fs ") {
        text = match text.split_once('\n') {
            Some((_, rest)) => rest,
            None => return Err(Error::msg("truncated output")),
        };
    }
    let mut fields = Vec::new();
    for line in text.split('\n').filter(|l| !l.is_empty()) {
        match line.split_once(':') {
            Some((key, value)) => {
                let value = value.trim_start();
                let value = match value {
                    "<none>" | "<not available>" | "(none)" => "",
                    v => v,
                };
                fields.push((key.to_string(), value.to_string()));
            }
            None => fields.push((line.to_string(), String::new())),
        }
    }
    Ok(fields)
}

pub fn tune2fs(device: &str, o: &Tune2fsOpts) -> Result<()> {
    let mut a = strings(&["tune2fs"]);
    let nonneg = |v: i64, name: &str| {
        if v < 0 {
            Err(Error::msg(format!("{} cannot be negative", name)))
        } else {
            Ok(v.to_string())
        }
    };
    if o.force == Some(true) {
        a.push("-f".into());
    }
    if let Some(v) = o.maxmountcount {
        a.extend(["-c".into(), nonneg(v.into(), "maxmountcount")?]);
    }
    if let Some(v) = o.mountcount {
        a.extend(["-C".into(), nonneg(v.into(), "mountcount")?]);
    }
    if let Some(e) = &o.errorbehavior {
        if !matches!(e.as_str(), "continue" | "remount-ro" | "panic") {
            return Err(Error::msg(format!(
                "invalid errorbehavior parameter: {}",
                e
            )));
        }
        a.extend(["-e".into(), e.clone()]);
    }
    if let Some(v) = o.group {
        a.extend(["-g".into(), nonneg(v, "group")?]);
    }
    if let Some(v) = o.intervalbetweenchecks {
        nonneg(v.into(), "intervalbetweenchecks")?;
        // `-i NNs` (seconds) is undocumented but long supported by tune2fs.
        let v = if v > 0 { format!("{}s", v) } else { "0".into() };
        a.extend(["-i".into(), v]);
    }
    if let Some(v) = o.reservedblockspercentage {
        a.extend(["-m".into(), nonneg(v.into(), "reservedblockspercentage")?]);
    }
    if let Some(d) = &o.lastmounteddirectory {
        a.extend(["-M".into(), d.clone()]);
    }
    if let Some(v) = o.reservedblockscount {
        a.extend(["-r".into(), nonneg(v, "reservedblockscount")?]);
    }
    if let Some(v) = o.user {
        a.extend(["-u".into(), nonneg(v, "user")?]);
    }
    a.push(device.into());
    run(&a, device)
}

pub fn e2fsck(device: &str, o: &E2fsckOpts) -> Result<()> {
    let correct = o.correct == Some(true);
    let forceall = o.forceall == Some(true);
    if correct && forceall {
        return Err(Error::msg(
            "only one of the options 'correct', 'forceall' may be specified",
        ));
    }
    let mut args = vec!["-f"];
    if correct {
        args.push("-p");
    }
    if forceall {
        args.push("-y");
    }
    args.push(device);
    let done = command_r("e2fsck", &args, true)?;
    // 0: no errors, 1: errors corrected; 2 and 3 want a reboot, 4 and more are failures.
    match done.status {
        Some(0 | 1) => Ok(()),
        _ => Err(Error::msg(done.stderr)),
    }
}

/// Whether `device` is mounted at the sysroot or below it (compared by device number).
fn is_mounted(sysroot: &str, device: &str) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let rdev = std::fs::metadata(device)
        .map_err(|e| crate::sys::io_error(&e, &format!("stat: {}", device)))?
        .rdev();
    let below = format!("{}/", sysroot);
    Ok(crate::sys::mount_table().iter().any(|m| {
        ((!sysroot.is_empty() && m.dir == sysroot) || m.dir.starts_with(&below))
            && std::fs::metadata(&m.source).is_ok_and(|md| md.rdev() == rdev)
    }))
}

/// resize2fs refuses an unmounted filesystem that was not checked since it was last used.
fn check_if_unmounted(sysroot: &str, device: &str) -> Result<()> {
    if is_mounted(sysroot, device)? {
        return Ok(());
    }
    e2fsck(
        device,
        &E2fsckOpts {
            forceall: Some(true),
            ..Default::default()
        },
    )
}

/// resize2fs with `extra` arguments (size, `-M`) after checking an unmounted filesystem.
pub fn resize2fs(sysroot: &str, device: &str, before: &[&str], after: &[&str]) -> Result<()> {
    check_if_unmounted(sysroot, device)?;
    let mut args = before.to_vec();
    args.push(device);
    args.extend(after);
    command_ok("resize2fs", &args, false, "").map(|_| ())
}

pub fn resize2fs_size(sysroot: &str, device: &str, size: i64) -> Result<()> {
    // The `K` suffix takes whole kilobytes.
    if size & 1023 != 0 {
        return Err(Error::msg(format!(
            "{}: size must be a round number of kilobytes",
            size
        )));
    }
    resize2fs(sysroot, device, &[], &[&format!("{}K", size / 1024)])
}

/// resize2fs's estimate of the smallest size (`-P`), in bytes.
pub fn minimum_size(device: &str) -> Result<i64> {
    let out = command_ok("resize2fs", &["-P", "-f", device], false, "")?;
    const PATTERN: &str = "Estimated minimum size of the filesystem: ";
    let Some(blocks) = out.lines().find_map(|l| l.strip_prefix(PATTERN)) else {
        return Err(Error::msg(format!(
            "minimum size not found. Check output format:\n{}",
            out
        )));
    };
    let blocks: i64 =
        leading_number(blocks).ok_or_else(|| Error::msg("cannot parse minimum size"))?;
    let block_size = tune2fs_l(device)?
        .into_iter()
        .find(|(k, _)| k == "Block size")
        .ok_or_else(|| Error::msg("missing 'Block size' in tune2fs_l output"))?
        .1;
    let block_size: i64 =
        leading_number(&block_size).ok_or_else(|| Error::msg("cannot parse block size"))?;
    blocks
        .checked_mul(block_size)
        .ok_or_else(|| Error::msg("filesystem size too big: overflow"))
}

/// The decimal number at the start of `s` after spaces, whatever follows it (what 1.48's
/// `xstrtol` without suffixes and `sscanf("%d")` accept).
pub fn leading_number(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let sign = usize::from(t.starts_with(['-', '+']));
    let digits = t[sign..].bytes().take_while(u8::is_ascii_digit).count();
    t[..sign + digits].parse().ok()
}

pub fn set_e2label(device: &str, label: &str) -> Result<()> {
    check_label(label)?;
    command_ok("e2label", &[device, label], false, "").map(|_| ())
}

pub fn set_e2uuid(device: &str, uuid: &str) -> Result<()> {
    command_ok("tune2fs", &["-U", uuid, device], false, "").map(|_| ())
}

/// A journal device: `mke2fs -O journal_dev` with `extra` (label or UUID) options.
pub fn mke2journal(blocksize: i32, device: &str, extra: &[&str]) -> Result<()> {
    let bs = blocksize.to_string();
    let mut args = vec!["-F", "-O", "journal_dev", "-b", &bs];
    args.extend(extra);
    args.push(device);
    crate::mkfs::wipe_before_mkfs(device);
    command_ok("mke2fs", &args, false, "").map(|_| ())
}

pub fn mke2journal_l(blocksize: i32, label: &str, device: &str) -> Result<()> {
    check_label(label)?;
    mke2journal(blocksize, device, &["-L", label])
}

/// An ext filesystem whose journal is on another device (`journal`: `device=…`).
pub fn mke2fs_j(fstype: &str, blocksize: i32, device: &str, journal: &str) -> Result<()> {
    check_fstype(fstype)?;
    let bs = blocksize.to_string();
    crate::mkfs::wipe_before_mkfs(device);
    command_ok(
        "mke2fs",
        &["-F", "-t", fstype, "-J", journal, "-b", &bs, device],
        false,
        "",
    )
    .map(|_| ())
}

pub fn mke2fs_jl(fstype: &str, blocksize: i32, device: &str, label: &str) -> Result<()> {
    check_fstype(fstype)?;
    check_label(label)?;
    mke2fs_j(
        fstype,
        blocksize,
        device,
        &format!("device=LABEL={}", label),
    )
}

/// 1.48's `mke2fs` with every optional argument, in 1.48's order of options.
pub fn mke2fs(device: &str, o: &Mke2fsOpts) -> Result<()> {
    let mut a = strings(&["mke2fs"]);
    let nonneg = |v: i64, name: &str| {
        if v < 0 {
            Err(Error::msg(format!("{} must be >= 0", name)))
        } else {
            Ok(v)
        }
    };
    let opt = |a: &mut Vec<String>, flag: &str, value: String| {
        a.push(flag.into());
        a.push(value);
    };
    if let Some(v) = o.blocksize {
        opt(&mut a, "-b", nonneg(v, "blocksize")?.to_string());
    }
    if let Some(v) = o.fragsize {
        opt(&mut a, "-f", nonneg(v, "fragsize")?.to_string());
    }
    if o.forcecreate == Some(true) {
        a.push("-F".into());
    }
    if let Some(v) = o.blockspergroup {
        opt(&mut a, "-g", nonneg(v, "blockspergroup")?.to_string());
    }
    if let Some(v) = o.numberofgroups {
        opt(&mut a, "-G", nonneg(v, "numberofgroups")?.to_string());
    }
    if let Some(v) = o.bytesperinode {
        opt(&mut a, "-i", nonneg(v, "bytesperinode")?.to_string());
    }
    if let Some(v) = o.inodesize {
        opt(&mut a, "-I", nonneg(v, "inodesize")?.to_string());
    }
    if let Some(v) = o.journalsize {
        opt(&mut a, "-J", format!("size={}", nonneg(v, "journalsize")?));
    }
    if let Some(j) = &o.journaldevice {
        opt(&mut a, "-J", format!("device={}", journal_device(j)?));
    }
    if let Some(l) = &o.label {
        opt(&mut a, "-L", l.clone());
    }
    if let Some(v) = o.reservedblockspercentage {
        opt(
            &mut a,
            "-m",
            nonneg(v.into(), "reservedblockspercentage")?.to_string(),
        );
    }
    if let Some(d) = &o.lastmounteddir {
        opt(&mut a, "-M", d.clone());
    }
    if let Some(v) = o.numberofinodes {
        opt(&mut a, "-N", nonneg(v, "numberofinodes")?.to_string());
    }
    if let Some(c) = &o.creatoros {
        opt(&mut a, "-o", c.clone());
    }
    if o.writesbandgrouponly == Some(true) {
        a.push("-S".into());
    }
    if let Some(t) = &o.fstype {
        check_fstype(t)?;
        opt(&mut a, "-t", t.clone());
    }
    if let Some(t) = &o.usagetype {
        opt(&mut a, "-T", t.clone());
    }
    if let Some(u) = &o.uuid {
        opt(&mut a, "-U", u.clone());
    }
    let extended: [(Option<i64>, &str, &str); 4] = [
        (
            o.mmpupdateinterval.map(i64::from),
            "mmpupdateinterval",
            "mmp_update_interval",
        ),
        (o.stridesize, "stridesize", "stride"),
        (o.stripewidth, "stripewidth", "stripe_width"),
        (o.maxonlineresize, "maxonlineresize", "resize"),
    ];
    for (value, name, key) in extended {
        if let Some(v) = value {
            opt(&mut a, "-E", format!("{}={}", key, nonneg(v, name)?));
        }
    }
    let on_off = |v: bool, on: &str, off: &str| if v { on } else { off }.to_string();
    if let Some(v) = o.lazyitableinit {
        opt(&mut a, "-E", format!("lazy_itable_init={}", v as i32));
    }
    if let Some(v) = o.lazyjournalinit {
        opt(&mut a, "-E", format!("lazy_journal_init={}", v as i32));
    }
    if o.testfs == Some(true) {
        opt(&mut a, "-E", "test_fs".into());
    }
    if let Some(v) = o.discard {
        opt(&mut a, "-E", on_off(v, "discard", "nodiscard"));
    }
    // `quotatype` is accepted and ignored, as 1.48 does.
    let features = [
        (o.extent, "extent"),
        (o.filetype, "filetype"),
        (o.flexbg, "flexbg"),
        (o.hasjournal, "has_journal"),
        (o.journaldev, "journal_dev"),
        (o.largefile, "large_file"),
        (o.quota, "quota"),
        (o.resizeinode, "resize_inode"),
        (o.sparsesuper, "sparse_super"),
        (o.uninitbg, "uninit_bg"),
    ];
    for (value, feature) in features {
        if let Some(v) = value {
            opt(&mut a, "-O", on_off(v, feature, &format!("^{}", feature)));
        }
    }
    a.push(device.into());
    if let Some(v) = o.blockscount {
        a.push(nonneg(v, "blockscount")?.to_string());
    }
    crate::mkfs::wipe_before_mkfs(device);
    run(&a, device)
}

/// The journal device of `mke2fs`: a device name in the appliance's naming (optional string
/// arguments are not translated by the stubs), or `LABEL=`/`UUID=` as given.
fn journal_device(j: &str) -> Result<String> {
    if !crate::devices::is_device_parameter(j) {
        return Ok(j.to_string());
    }
    crate::devices::to_kernel(j)
        .map_err(|e| Error::path(e, j))
        .and_then(|k| {
            if crate::devices::is_device_parameter(&k) {
                Ok(k)
            } else {
                Err(Error::msg(format!("{}: device not found", j)))
            }
        })
}

/// `cd MOUNTPOINT && mklost+found`, with 1.48's error naming the shell command.
pub fn mklost_and_found(sysroot: &str, mountpoint: &str) -> Result<()> {
    let dir = format!("{}{}", sysroot, mountpoint);
    let status = crate::sys::program("mklost+found")
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Ok(()),
        _ => Err(Error::msg(format!(
            "cd {}{} && mklost+found: command failed",
            sysroot,
            shell_quote(mountpoint)
        ))),
    }
}

/// 1.48's `shell_quote`: a backslash before every character that is not alphanumeric nor
/// one of `/-_.`.
fn shell_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c.is_ascii_alphanumeric() || "/-_.".contains(c)) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_escapes_unsafe_characters() {
        assert_eq!(shell_quote("/a b/c'd"), "/a\\ b/c\\'d");
        assert_eq!(shell_quote("/lost-found_1.x"), "/lost-found_1.x");
    }
}

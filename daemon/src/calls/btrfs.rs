//! btrfs: subvolumes, snapshots, devices, balance, scrub, quota groups, tuning and rescue,
//! through the btrfs-progs programs as 1.48's daemon runs them, with its error wording
//! (`WHAT: PROGRAM'S ERROR OUTPUT`) and its parsing of their reports.

use crate::daemon::Daemon;
use crate::devices::{is_device_parameter, split_btrfsvol};
use crate::sys::{self, command, ocaml_command, Outcome};
use guestfs_protocol::calls::{
    self, BtrfsFilesystemDefragmentOpts, BtrfsFilesystemResizeOpts, BtrfsFsckOpts, BtrfsImageOpts,
    BtrfsSubvolumeCreateOpts, BtrfsSubvolumeSnapshotOpts,
};
use guestfs_protocol::{BtrfsBalance, BtrfsQgroup, BtrfsScrub, BtrfsSubvolume, Error, Result};
use std::sync::OnceLock;

/// Runs `program args…`: its standard output, or the error `WHO: ITS ERROR OUTPUT`.
fn run(program: &str, args: &[&str], who: &str) -> Result<String> {
    match command(program, args, false)? {
        Outcome::Success(out) => Ok(out),
        Outcome::Failure(err) => Err(Error::msg(format!("{}: {}", who, err))),
    }
}

/// Runs `program args…` and returns its standard output and error whatever its exit status
/// (1.48's `commandr`, for the `--help` probes).
fn run_any_status(program: &str, args: &[&str]) -> (String, String) {
    match sys::run(program, args) {
        Ok(out) => (out.stdout, out.stderr),
        Err(_) => (String::new(), String::new()),
    }
}

/// What a Mountable_or_Path argument names.
enum Target<'a> {
    /// A guest path, to use where it is.
    Path(&'a str),
    /// A device, with the subvolume to mount when it names one.
    Device(String, Option<&'a str>),
}

fn target(arg: &str) -> Target<'_> {
    if let Some(rest) = arg.strip_prefix("btrfsvol:") {
        if let Some((device, volume)) = split_btrfsvol(rest, false) {
            return Target::Device(device, Some(volume));
        }
    }
    if is_device_parameter(arg) {
        Target::Device(arg.to_string(), None)
    } else {
        Target::Path(arg)
    }
}

/// A temporary directory that is removed (after unmounting what is on it) when dropped.
struct TempMount {
    dir: String,
    mounted: bool,
}

impl TempMount {
    fn new(template: &str) -> Result<TempMount> {
        let mut buf = sys::cstr(template)?.into_bytes_with_nul();
        // SAFETY: buf is a writable NUL-terminated template ending in XXXXXX.
        if unsafe { libc::mkdtemp(buf.as_mut_ptr() as *mut libc::c_char) }.is_null() {
            return Err(sys::perror("mkdtemp"));
        }
        buf.pop();
        Ok(TempMount {
            dir: String::from_utf8_lossy(&buf).into_owned(),
            mounted: false,
        })
    }

    /// Unmounts and removes the directory, reporting failures as 1.48's C helper does.
    fn finish(mut self) -> Result<()> {
        let mounted = std::mem::replace(&mut self.mounted, false);
        if mounted {
            if let Outcome::Failure(err) = command("umount", &[&self.dir], false)? {
                return Err(Error::msg(format!("umount: {}", err)));
            }
        }
        if let Err(e) = std::fs::remove_dir(&self.dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(sys::io_error(&e, "rmdir"));
            }
        }
        self.dir.clear();
        Ok(())
    }
}

impl Drop for TempMount {
    fn drop(&mut self) {
        if self.dir.is_empty() {
            return;
        }
        if self.mounted {
            let _ = command("umount", &[&self.dir], false);
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

impl Daemon {
    /// 1.48's OCaml `with_mounted`: runs `f` on the directory where the filesystem is (the
    /// guest path, or a device mounted on a temporary directory for the call's duration).
    fn with_mounted<T>(&self, fs: &str, f: impl FnOnce(&str) -> Result<T>) -> Result<T> {
        let (device, volume) = match target(fs) {
            Target::Path(p) => return f(&self.sysroot_path(p)),
            Target::Device(d, v) => (d, v),
        };
        let mut tmp = TempMount::new("/tmp/btrfsXXXXXX")?;
        let subvol;
        let mut args: Vec<&str> = Vec::new();
        if let Some(v) = volume {
            subvol = format!("subvol={}", v);
            args.extend(["-o", &subvol]);
        }
        args.extend([device.as_str(), tmp.dir.as_str()]);
        ocaml_command("mount", &args, false)?;
        tmp.mounted = true;
        f(&tmp.dir)
    }

    /// 1.48's C `mount`/`umount` pair: like [`Daemon::with_mounted`], with the C daemon's
    /// error wording; `f` gets the directory.
    fn with_mounted_c(&self, fs: &str, f: impl FnOnce(&str) -> Result<()>) -> Result<()> {
        let (device, volume) = match target(fs) {
            Target::Path(p) => return f(&self.sysroot_path(p)),
            Target::Device(d, v) => (d, v),
        };
        let mut tmp = TempMount::new("/tmp/btrfs.XXXXXX")?;
        let options = volume.map(|v| format!("subvol={}", v)).unwrap_or_default();
        match command("mount", &["-o", &options, &device, &tmp.dir], false)? {
            Outcome::Success(_) => tmp.mounted = true,
            Outcome::Failure(err) => {
                return Err(Error::msg(format!(
                    "{} on <internal> (options: ''): {}",
                    device, err
                )))
            }
        }
        let r = f(&tmp.dir);
        let cleanup = tmp.finish();
        r.and(cleanup)
    }

    /// `btrfs ARGS… SYSROOT/PATH`, the error prefixed with the guest path.
    fn btrfs_on(&self, args: &[&str], path: &str) -> Result<String> {
        let at = self.sysroot_path(path);
        let mut v = args.to_vec();
        v.push(&at);
        run("btrfs", &v, path)
    }
}

/// Whether `btrfs device add` needs `--force` to overwrite a device (btrfs-progs ≥ 3.12).
fn device_add_needs_force() -> Result<bool> {
    static NEEDS: OnceLock<bool> = OnceLock::new();
    if let Some(n) = NEEDS.get() {
        return Ok(*n);
    }
    let out = run(
        "btrfs",
        &["device", "add", "--help"],
        "btrfs device add --help",
    )?;
    Ok(*NEEDS.get_or_init(|| out.contains("--force")))
}

/// Whether `btrfs qgroup show` knows `--raw` (btrfs-progs ≥ 3.18.2).
fn qgroup_show_has_raw() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        run_any_status("btrfs", &["qgroup", "show", "--help"])
            .0
            .contains("--raw")
    })
}

/// One line of `btrfs subvolume show` split as 1.48 does at the first `delimiter`: the key
/// (None when the line starts with it) and the value after it (None without one), both
/// without leading blanks.
fn split_key_value(line: &str, delimiter: char) -> (Option<&str>, Option<&str>) {
    let p = line.trim_start_matches(|c: char| c.is_ascii_whitespace());
    match p.split_once(delimiter) {
        Some((key, value)) => (
            (!p.starts_with(delimiter)).then_some(key),
            Some(value.trim_start_matches(|c: char| c.is_ascii_whitespace())),
        ),
        None => (Some(p), None),
    }
}

/// Parses `btrfs subvolume show` into 1.48's key/value pairs: the first line is the path,
/// `Snapshot(s)` gathers the lines after it joined by commas, a value `-` becomes "".
fn parse_subvolume_show(out: &str) -> Result<Vec<(String, String)>> {
    // Lines as 1.48 walks them: the first must end with a newline; an empty text after the
    // last newline ends the walk.
    let mut pieces: Vec<&str> = out.split('\n').collect();
    if pieces.len() < 2 {
        return Err(Error::msg(format!("truncated output: {}", out)));
    }
    if pieces.last() == Some(&"") {
        pieces.pop();
    }
    let mut lines = pieces.into_iter().map(|l| split_key_value(l, ':'));
    let Some(first) = lines.next() else {
        return Err(Error::msg(format!("truncated output: {}", out)));
    };
    let mut ret = Vec::new();
    match first {
        (Some(key), None) => ret.push(("path".to_string(), key.to_string())),
        (key, value) => ret.push((
            key.unwrap_or("").to_string(),
            value.unwrap_or("").to_string(),
        )),
    }
    let mut cur = lines.next();
    while let Some((Some(key), value)) = cur {
        if key.starts_with("Snapshot(s)") {
            let mut snapshots = Vec::new();
            cur = lines.next();
            while let Some((Some(name), None)) = cur {
                snapshots.push(name);
                cur = lines.next();
            }
            ret.push((key.to_string(), snapshots.join(",")));
        } else {
            let value = value.filter(|v| *v != "-").unwrap_or("");
            ret.push((key.to_string(), value.to_string()));
            cur = lines.next();
        }
    }
    Ok(ret)
}

/// An unsigned number as scanf's `%lu` reads it: leading blanks, then digits; the rest.
fn scan_u64(s: &str) -> Option<(u64, &str)> {
    let s = s.trim_start();
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// One quota group line (`0/5  16384  16384 …`).
fn parse_qgroup_line(line: &str) -> Option<BtrfsQgroup> {
    let end = line
        .find(|c: char| !(c.is_ascii_digit() || c == '/'))
        .unwrap_or(line.len());
    if end == 0 {
        return None;
    }
    let (rfer, rest) = scan_u64(&line[end..])?;
    let (excl, _) = scan_u64(rest)?;
    Some(BtrfsQgroup {
        btrfsqgroup_id: line[..end].to_string(),
        btrfsqgroup_rfer: rfer,
        btrfsqgroup_excl: excl,
    })
}

/// Parses `btrfs balance status`.
fn parse_balance_status(out: &str) -> Result<BtrfsBalance> {
    let lines: Vec<&str> = out.lines().collect();
    let Some(first) = lines.first() else {
        return Err(Error::new(
            libc::EINVAL,
            "No balance status output: Invalid argument",
        ));
    };
    let mut ret = BtrfsBalance {
        btrfsbalance_status: String::new(),
        btrfsbalance_total: 0,
        btrfsbalance_balanced: 0,
        btrfsbalance_considered: 0,
        btrfsbalance_left: 0,
    };
    if first.contains("No balance found on") {
        ret.btrfsbalance_status = "none".to_string();
        return Ok(ret);
    }
    let unexpected = || {
        Error::msg(format!(
            "unexpected output from 'btrfs balance status' command: {}",
            first
        ))
    };
    // "Balance on '…' is STATE" (the regular expression's greedy `.*`: the last " is ").
    let state = first
        .find("Balance on '")
        .and_then(|at| first[at..].rfind("' is ").map(|i| &first[at + i + 5..]))
        .ok_or_else(unexpected)?;
    ret.btrfsbalance_status = match state {
        "running" | "paused" => state.to_string(),
        _ => return Err(unexpected()),
    };
    let Some(second) = lines.get(1) else {
        return Err(Error::msg(
            "truncated output from 'btrfs balance status' command",
        ));
    };
    // "N out of about N chunks balanced (N considered), N% left"
    let parsed = (|| {
        let (balanced, r) = scan_u64(second)?;
        let (total, r) = scan_u64(r.trim_start().strip_prefix("out of about")?)?;
        let r = r.trim_start().strip_prefix("chunks balanced (")?;
        let (considered, r) = scan_u64(r)?;
        let r = r.trim_start().strip_prefix("considered),")?;
        let (left, r) = scan_u64(r)?;
        r.strip_prefix("% left")?;
        Some((balanced, total, considered, left))
    })();
    let Some((balanced, total, considered, left)) = parsed else {
        return Err(Error::msg("sscanf: Success"));
    };
    ret.btrfsbalance_balanced = balanced;
    ret.btrfsbalance_total = total;
    ret.btrfsbalance_considered = considered;
    ret.btrfsbalance_left = left;
    Ok(ret)
}

/// Parses `btrfs scrub status -R`: the tab-indented `name: N` lines.
fn parse_scrub_status(out: &str) -> Result<BtrfsScrub> {
    let lines: Vec<&str> = out.lines().collect();
    if lines.len() < 2 {
        return Err(Error::msg(
            "truncated output from 'btrfs scrub status -R' command",
        ));
    }
    let mut s = BtrfsScrub::default();
    for line in &lines {
        let Some(body) = line.strip_prefix('\t') else {
            continue;
        };
        if body == "no stats available" {
            return Ok(s);
        }
        if body.starts_with("scrub started at") {
            continue;
        }
        let field = body.split_once(':').and_then(|(name, v)| {
            let n = scan_u64(v)?.0;
            let slot = match name {
                "data_extents_scrubbed" => &mut s.btrfsscrub_data_extents_scrubbed,
                "tree_extents_scrubbed" => &mut s.btrfsscrub_tree_extents_scrubbed,
                "data_bytes_scrubbed" => &mut s.btrfsscrub_data_bytes_scrubbed,
                "tree_bytes_scrubbed" => &mut s.btrfsscrub_tree_bytes_scrubbed,
                "read_errors" => &mut s.btrfsscrub_read_errors,
                "csum_errors" => &mut s.btrfsscrub_csum_errors,
                "verify_errors" => &mut s.btrfsscrub_verify_errors,
                "no_csum" => &mut s.btrfsscrub_no_csum,
                "csum_discards" => &mut s.btrfsscrub_csum_discards,
                "super_errors" => &mut s.btrfsscrub_super_errors,
                "malloc_errors" => &mut s.btrfsscrub_malloc_errors,
                "uncorrectable_errors" => &mut s.btrfsscrub_uncorrectable_errors,
                "unverified_errors" => &mut s.btrfsscrub_unverified_errors,
                "corrected_errors" => &mut s.btrfsscrub_corrected_errors,
                "last_physical" => &mut s.btrfsscrub_last_physical,
                _ => return None,
            };
            *slot = n;
            Some(())
        });
        if field.is_none() {
            return Err(Error::msg(format!(
                "{}: could not parse btrfs scrub status.",
                line
            )));
        }
    }
    if lines.len() < 17 {
        return Err(Error::msg(
            "truncated output from 'btrfs scrub status -R' command",
        ));
    }
    Ok(s)
}

/// Parses `btrfs filesystem show DEVICE` into the devices' paths.
fn parse_filesystem_show(out: &str, device: &str) -> Result<Vec<String>> {
    let lines: Vec<&str> = out.lines().collect();
    if lines.len() < 3 {
        return Err(Error::msg(
            "truncated output from 'btrfs filesystem show' command",
        ));
    }
    let mut ret = Vec::new();
    for line in &lines[1..] {
        if line.is_empty()
            || line.starts_with("Label: ")
            || line.starts_with("\tTotal devices ")
            || line.starts_with("btrfs-progs v")
            || line.starts_with("Btrfs v")
        {
            continue;
        }
        if line.starts_with("\tdevid ") {
            if let Some((_, p)) = line.split_once(" path ") {
                ret.push(p.split(' ').next().unwrap_or("").to_string());
            }
        } else if line.starts_with("\t*** Some devices missing") {
            return Err(Error::new(
                libc::ENODEV,
                format!("{}: missing devices", device),
            ));
        } else {
            return Err(Error::msg(format!(
                "unrecognized line in output from 'btrfs filesystem show': {}",
                line
            )));
        }
    }
    Ok(ret)
}

/// One line of `btrfs subvolume list` as 1.48's regular expression
/// `ID\s+(\d+).*\stop level\s+(\d+).*\spath\s(.*)` reads it.
fn parse_subvolume_list_line(line: &str) -> Option<BtrfsSubvolume> {
    let at = line.find("ID")?;
    let rest = &line[at + 2..];
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if digits.len() == rest.len() {
        return None;
    }
    let (id, after_id) = scan_u64(digits)?;
    // The greedy `.*`s: the last `\spath\s`, and the last `\stop level\s+N` before it.
    let is_space = |c: char| c.is_ascii_whitespace();
    let path_at = (0..after_id.len()).rev().find(|&i| {
        let s = &after_id[i..];
        s.starts_with(is_space)
            && s[1..].starts_with("path")
            && s[5..].starts_with(is_space)
            && i > 0
    })?;
    let path = &after_id[path_at + 6..];
    let head = &after_id[..path_at];
    let top = (0..head.len()).rev().find_map(|i| {
        let s = &head[i..];
        let r = s.strip_prefix(is_space)?.strip_prefix("top level")?;
        let r2 = r.trim_start_matches(is_space);
        (r2.len() < r.len()).then(|| scan_u64(r2)).flatten()
    })?;
    Some(BtrfsSubvolume {
        btrfssubvolume_id: id,
        btrfssubvolume_top_level_id: top.0,
        btrfssubvolume_path: path.to_string(),
    })
}

impl calls::Btrfs for Daemon {
    fn btrfs_balance_cancel(&mut self, path: &str) -> Result<()> {
        self.btrfs_on(&["balance", "cancel"], path).map(drop)
    }

    fn btrfs_balance_pause(&mut self, path: &str) -> Result<()> {
        self.btrfs_on(&["balance", "pause"], path).map(drop)
    }

    fn btrfs_balance_resume(&mut self, path: &str) -> Result<()> {
        self.btrfs_on(&["balance", "resume"], path).map(drop)
    }

    fn btrfs_balance_status(&mut self, path: &str) -> Result<BtrfsBalance> {
        parse_balance_status(&self.btrfs_on(&["balance", "status"], path)?)
    }

    fn btrfs_device_add(&mut self, devices: &[String], fs: &str) -> Result<()> {
        if devices.is_empty() {
            return Ok(());
        }
        let mut args = vec!["device", "add"];
        if device_add_needs_force()? {
            args.push("--force");
        }
        args.extend(devices.iter().map(String::as_str));
        self.btrfs_on(&args, fs).map(drop)
    }

    fn btrfs_device_delete(&mut self, devices: &[String], fs: &str) -> Result<()> {
        if devices.is_empty() {
            return Ok(());
        }
        let mut args = vec!["device", "delete"];
        args.extend(devices.iter().map(String::as_str));
        self.btrfs_on(&args, fs).map(drop)
    }

    fn btrfs_filesystem_balance(&mut self, fs: &str) -> Result<()> {
        self.btrfs_on(&["balance"], fs).map(drop)
    }

    fn btrfs_filesystem_defragment(
        &mut self,
        path: &str,
        opts: &BtrfsFilesystemDefragmentOpts,
    ) -> Result<()> {
        let mut args = vec!["filesystem", "defragment", "-r"];
        if opts.flush == Some(true) {
            args.push("-f");
        }
        match opts.compress.as_deref() {
            None => {}
            Some("zlib") => args.push("-czlib"),
            Some("lzo") => args.push("-clzo"),
            Some(other) => return Err(Error::msg(format!("unknown compress method: {}", other))),
        }
        self.btrfs_on(&args, path).map(drop)
    }

    fn btrfs_filesystem_resize(
        &mut self,
        mountpoint: &str,
        opts: &BtrfsFilesystemResizeOpts,
    ) -> Result<()> {
        let size = match opts.size {
            Some(s) if s <= 0 => return Err(Error::msg("size is zero or negative")),
            Some(s) => s.to_string(),
            None => "max".to_string(),
        };
        self.btrfs_on(&["filesystem", "resize", &size], mountpoint)
            .map(drop)
    }

    fn btrfs_filesystem_show(&mut self, device: &str) -> Result<Vec<String>> {
        let out = run("btrfs", &["filesystem", "show", device], device)?;
        parse_filesystem_show(&out, device)
    }

    fn btrfs_filesystem_sync(&mut self, fs: &str) -> Result<()> {
        self.btrfs_on(&["filesystem", "sync"], fs).map(drop)
    }

    fn btrfs_fsck(&mut self, device: &str, opts: &BtrfsFsckOpts) -> Result<()> {
        let mut args = Vec::new();
        let superblock;
        if let Some(s) = opts.superblock {
            if s < 0 {
                return Err(Error::msg("super block offset must be >= 0"));
            }
            superblock = s.to_string();
            args.extend(["--super", superblock.as_str()]);
        }
        if opts.repair == Some(true) {
            args.push("--repair");
        }
        args.push(device);
        run("btrfsck", &args, device).map(drop)
    }

    /// The image is written where `image` is in the appliance (not in the guest), as 1.48 does.
    fn btrfs_image(&mut self, source: &[String], image: &str, opts: &BtrfsImageOpts) -> Result<()> {
        let Some(first) = source.first() else {
            return Err(Error::msg("list of sources must be non-empty"));
        };
        let mut args = Vec::new();
        let level;
        if let Some(l) = opts.compresslevel.filter(|l| *l >= 0) {
            level = l.to_string();
            args.extend(["-c", level.as_str()]);
        }
        args.extend(source.iter().map(String::as_str));
        args.push(image);
        run("btrfs-image", &args, &format!("{} {}", first, image)).map(drop)
    }

    fn btrfs_qgroup_assign(&mut self, src: &str, dst: &str, path: &str) -> Result<()> {
        self.btrfs_on(&["qgroup", "assign", src, dst], path)
            .map(drop)
    }

    fn btrfs_qgroup_create(&mut self, qgroupid: &str, subvolume: &str) -> Result<()> {
        self.btrfs_on(&["qgroup", "create", qgroupid], subvolume)
            .map(drop)
    }

    fn btrfs_qgroup_destroy(&mut self, qgroupid: &str, subvolume: &str) -> Result<()> {
        self.btrfs_on(&["qgroup", "destroy", qgroupid], subvolume)
            .map(drop)
    }

    fn btrfs_qgroup_limit(&mut self, subvolume: &str, size: i64) -> Result<()> {
        self.btrfs_on(&["qgroup", "limit", &size.to_string()], subvolume)
            .map(drop)
    }

    fn btrfs_qgroup_remove(&mut self, src: &str, dst: &str, path: &str) -> Result<()> {
        self.btrfs_on(&["qgroup", "remove", src, dst], path)
            .map(drop)
    }

    fn btrfs_qgroup_show(&mut self, path: &str) -> Result<Vec<BtrfsQgroup>> {
        let mut args = vec!["qgroup", "show"];
        if qgroup_show_has_raw() {
            args.push("--raw");
        }
        let out = self.btrfs_on(&args, path)?;
        // Two heading lines (names, dashes), then one line per quota group.
        let lines: Vec<&str> = out.lines().collect();
        if lines.len() < 2 {
            return Err(Error::new(libc::ENOMEM, "calloc: Cannot allocate memory"));
        }
        lines[2..]
            .iter()
            .map(|l| {
                parse_qgroup_line(l).ok_or_else(|| {
                    Error::msg(format!("cannot parse output of qgroup show command: {}", l))
                })
            })
            .collect()
    }

    fn btrfs_quota_enable(&mut self, fs: &str, enable: bool) -> Result<()> {
        let verb = if enable { "enable" } else { "disable" };
        self.with_mounted_c(fs, |dir| run("btrfs", &["quota", verb, dir], dir).map(drop))
    }

    fn btrfs_quota_rescan(&mut self, fs: &str) -> Result<()> {
        self.with_mounted_c(fs, |dir| {
            run("btrfs", &["quota", "rescan", dir], dir).map(drop)
        })
    }

    fn btrfs_replace(&mut self, srcdev: &str, targetdev: &str, mntpoint: &str) -> Result<()> {
        self.btrfs_on(
            &["replace", "start", "-B", "-f", srcdev, targetdev],
            mntpoint,
        )
        .map(drop)
    }

    fn btrfs_rescue_chunk_recover(&mut self, device: &str) -> Result<()> {
        run("btrfs", &["rescue", "chunk-recover", "-y", device], device).map(drop)
    }

    fn btrfs_rescue_super_recover(&mut self, device: &str) -> Result<()> {
        run("btrfs", &["rescue", "super-recover", "-y", device], device).map(drop)
    }

    fn btrfs_scrub_cancel(&mut self, path: &str) -> Result<()> {
        self.btrfs_on(&["scrub", "cancel"], path).map(drop)
    }

    fn btrfs_scrub_resume(&mut self, path: &str) -> Result<()> {
        self.btrfs_on(&["scrub", "resume"], path).map(drop)
    }

    fn btrfs_scrub_start(&mut self, path: &str) -> Result<()> {
        self.btrfs_on(&["scrub", "start"], path).map(drop)
    }

    fn btrfs_scrub_status(&mut self, path: &str) -> Result<BtrfsScrub> {
        parse_scrub_status(&self.btrfs_on(&["scrub", "status", "-R"], path)?)
    }

    /// 1.48 runs btrfstune here without looking at its exit status: only a program that
    /// cannot be run is an error.
    fn btrfs_set_seeding(&mut self, device: &str, seeding: bool) -> Result<()> {
        let value = if seeding { "1" } else { "0" };
        sys::run("btrfstune", &["-S", value, device])
            .map(drop)
            .map_err(|e| Error::msg(format!("{}: {}", device, e.message)))
    }

    fn btrfs_subvolume_create(
        &mut self,
        dest: &str,
        opts: &BtrfsSubvolumeCreateOpts,
    ) -> Result<()> {
        let mut args = vec!["subvolume", "create"];
        if let Some(q) = &opts.qgroupid {
            args.extend(["-i", q.as_str()]);
        }
        self.btrfs_on(&args, dest).map(drop)
    }

    fn btrfs_subvolume_delete(&mut self, subvolume: &str) -> Result<()> {
        self.btrfs_on(&["subvolume", "delete"], subvolume).map(drop)
    }

    fn btrfs_subvolume_get_default(&mut self, fs: &str) -> Result<i64> {
        let out = self.with_mounted(fs, |mp| {
            ocaml_command("btrfs", &["subvolume", "get-default", mp], false)
        })?;
        out.strip_prefix("ID")
            .filter(|r| r.starts_with(|c: char| c.is_ascii_whitespace()))
            .and_then(scan_u64)
            .map(|(id, _)| id as i64)
            .ok_or_else(|| {
                Error::msg(format!(
                    "unexpected output from 'btrfs subvolume get-default' command: {}",
                    out.trim_end()
                ))
            })
    }

    fn btrfs_subvolume_list(&mut self, fs: &str) -> Result<Vec<BtrfsSubvolume>> {
        let out = self.with_mounted(fs, |mp| {
            ocaml_command("btrfs", &["subvolume", "list", mp], false)
        })?;
        out.split('\n')
            .filter(|l| !l.is_empty())
            .map(|line| {
                parse_subvolume_list_line(line).ok_or_else(|| {
                    Error::msg(format!(
                        "unexpected output from 'btrfs subvolume list' command: {}",
                        line
                    ))
                })
            })
            .collect()
    }

    fn btrfs_subvolume_set_default(&mut self, id: i64, fs: &str) -> Result<()> {
        self.btrfs_on(&["subvolume", "set-default", &id.to_string()], fs)
            .map(drop)
    }

    fn btrfs_subvolume_show(&mut self, subvolume: &str) -> Result<Vec<(String, String)>> {
        let at = self.sysroot_path(subvolume);
        let (out, err) = match command("btrfs", &["subvolume", "show", &at], false)? {
            Outcome::Success(out) => (out, String::new()),
            Outcome::Failure(err) => {
                return Err(Error::msg(format!("{}: {}", subvolume, err)));
            }
        };
        if out.contains("is btrfs root") || out.contains("is toplevel subvolume") {
            return Err(Error::msg(format!("{} is btrfs root", subvolume)));
        }
        if err.contains("is not a subvolume") {
            return Err(Error::msg(format!("{} is not a subvolume", subvolume)));
        }
        parse_subvolume_show(&out)
    }

    fn btrfs_subvolume_snapshot(
        &mut self,
        source: &str,
        dest: &str,
        opts: &BtrfsSubvolumeSnapshotOpts,
    ) -> Result<()> {
        let mut args = vec!["subvolume", "snapshot"];
        if opts.ro == Some(true) {
            args.push("-r");
        }
        if let Some(q) = &opts.qgroupid {
            args.extend(["-i", q.as_str()]);
        }
        let (from, to) = (self.sysroot_path(source), self.sysroot_path(dest));
        args.extend([from.as_str(), to.as_str()]);
        run("btrfs", &args, &format!("{}: {}", source, dest)).map(drop)
    }

    fn btrfstune_enable_extended_inode_refs(&mut self, device: &str) -> Result<()> {
        run("btrfstune", &["-r", device], device).map(drop)
    }

    fn btrfstune_enable_skinny_metadata_extent_refs(&mut self, device: &str) -> Result<()> {
        run("btrfstune", &["-x", device], device).map(drop)
    }

    fn btrfstune_seeding(&mut self, device: &str, seeding: bool) -> Result<()> {
        let mut args = vec!["-S", if seeding { "1" } else { "0" }];
        if !seeding {
            args.push("-f");
        }
        args.push(device);
        run("btrfstune", &args, device).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subvolume_show_pairs() {
        let out = "sub1\n\tName: \t\t\tsub1\n\tParent UUID: \t\t-\n\tCreation time: \t\t2024-01-01 10:00:00 +0000\n\tSnapshot(s):\n\t\t\t\tsnap1\n\t\t\t\tsnap2\n\tQuota group:\t\tn/a\n";
        let v = parse_subvolume_show(out).unwrap();
        let want: Vec<(String, String)> = [
            ("path", "sub1"),
            ("Name", "sub1"),
            ("Parent UUID", ""),
            ("Creation time", "2024-01-01 10:00:00 +0000"),
            ("Snapshot(s)", "snap1,snap2"),
            ("Quota group", "n/a"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(v, want);
    }

    #[test]
    fn subvolume_list_lines() {
        let s = parse_subvolume_list_line("ID 257 gen 9 top level 5 path dir/test3").unwrap();
        assert_eq!(
            (s.btrfssubvolume_id, s.btrfssubvolume_top_level_id),
            (257, 5)
        );
        assert_eq!(s.btrfssubvolume_path, "dir/test3");
        assert!(parse_subvolume_list_line("garbage").is_none());
    }

    #[test]
    fn balance_and_qgroups() {
        let b = parse_balance_status(
            "Balance on '/' is paused\n3 out of about 8 chunks balanced (3 considered), 62% left\n",
        )
        .unwrap();
        assert_eq!(
            (
                b.btrfsbalance_status.as_str(),
                b.btrfsbalance_total,
                b.btrfsbalance_left
            ),
            ("paused", 8, 62)
        );
        let q = parse_qgroup_line("0/256        16384        16384   sub1").unwrap();
        assert_eq!(
            (
                q.btrfsqgroup_id.as_str(),
                q.btrfsqgroup_rfer,
                q.btrfsqgroup_excl
            ),
            ("0/256", 16384, 16384)
        );
        assert!(parse_qgroup_line("qgroupid rfer excl").is_none());
    }
}

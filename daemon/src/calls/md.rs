//! Linux software RAID (md): the arrays assembled from the drives.

use crate::daemon::Daemon;
use crate::sys::{command_ok, ocaml_command};
use guestfs_protocol::calls;
use guestfs_protocol::device_name::natural_cmp;
use guestfs_protocol::{Error, MdCreateOpts, MdStat, Result};

/// The md arrays (assembled on first use), as /dev/mdN in natural order.
pub fn list_md_devices() -> Vec<String> {
    crate::lvm::activate_md();
    let mut v: Vec<String> = std::fs::read_dir("/sys/block")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    n.starts_with("md")
                        && std::path::Path::new(&format!("/sys/block/{}/md/level", n)).exists()
                })
                .filter(|n| {
                    std::fs::read_to_string(format!("/sys/block/{}/size", n))
                        .map(|s| s.trim() != "0")
                        .unwrap_or(false)
                })
                .map(|n| format!("/dev/{}", n))
                .collect()
        })
        .unwrap_or_default();
    v.sort_by(|a, b| natural_cmp(a, b));
    v
}

/// The RAID levels `md_create` accepts (mdadm's names and numbers).
const LEVELS: &[&str] = &[
    "linear", "raid0", "0", "stripe", "raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6",
    "6", "raid10", "10",
];

/// `mdadm --create` arguments for `md_create`, checked as 1.48 does: the members in order,
/// with `missing` wherever the bitmap has a bit set.
fn md_create_args(name: &str, devices: &[String], opts: &MdCreateOpts) -> Result<Vec<String>> {
    let mut missing = opts.missingbitmap.unwrap_or(0) as u64;
    let nmissing = missing.count_ones() as usize;
    let spare = opts.spare.unwrap_or(0);
    if spare < 0 {
        return Err(Error::msg("spare must not be negative"));
    }
    let nrdevices = match opts.nrdevices {
        Some(n) if n < 2 => return Err(Error::msg("nrdevices is less than 2")),
        Some(n) => n,
        None => (devices.len() + nmissing) as i32,
    };
    let level = opts.level.as_deref().unwrap_or("raid1");
    if !LEVELS.contains(&level) {
        return Err(Error::msg(format!("unknown level parameter: {}", level)));
    }
    if opts.chunk.is_some_and(|c| c & 1023 != 0) {
        return Err(Error::msg("chunk size must be a multiple of 1024 bytes"));
    }
    if (devices.len() + nmissing) as i64 != nrdevices as i64 + spare as i64 {
        return Err(Error::msg(format!(
            "devices ({}) + bits set in missingbitmap ({}) is not equal to nrdevices ({}) + spare ({})",
            devices.len(),
            nmissing,
            nrdevices,
            spare
        )));
    }
    let mut args: Vec<String> = [
        "--create",
        "--run",
        name,
        "--level",
        level,
        "--raid-devices",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(nrdevices.to_string());
    if let Some(spare) = opts.spare {
        args.extend(["--spare-devices".to_string(), spare.to_string()]);
    }
    if let Some(chunk) = opts.chunk {
        // Bytes in the API, KiB for mdadm.
        args.extend(["--chunk".to_string(), (chunk / 1024).to_string()]);
    }
    let mut members = devices.iter();
    loop {
        if missing & 1 == 1 {
            args.push("missing".to_string());
        } else if let Some(d) = members.next() {
            args.push(d.clone());
        } else if missing == 0 {
            break;
        }
        missing >>= 1;
    }
    Ok(args)
}

/// The members of an array from its line of /proc/mdstat, after `NAME : `
/// (`active raid1 sdb1[0] sdc1[1](F)`): the words with an index in brackets.
fn parse_mdstat_members(line: &str) -> Result<Vec<MdStat>> {
    let mut out = Vec::new();
    for word in line.split(' ') {
        let (Some(open), Some(close)) = (word.find('['), word.find(']')) else {
            continue;
        };
        if open > close {
            continue;
        }
        if open == 0 {
            return Err(Error::msg(format!("device entry is too short: {}", word)));
        }
        let index = &word[open + 1..close];
        let index: i32 = index
            .trim()
            .parse()
            .map_err(|_| Error::msg(format!("not a device number: {}", index)))?;
        out.push(MdStat {
            mdstat_device: crate::devices::from_kernel(&format!("/dev/{}", &word[..open])),
            mdstat_index: index,
            mdstat_flags: word[close + 1..]
                .chars()
                .filter(char::is_ascii_alphabetic)
                .collect(),
        });
    }
    Ok(out)
}

impl calls::Md for Daemon {
    fn list_md_devices(&mut self) -> Result<Vec<String>> {
        Ok(list_md_devices())
    }

    fn md_create(&mut self, name: &str, devices: &[String], opts: &MdCreateOpts) -> Result<()> {
        let args = md_create_args(name, devices, opts)?;
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::lvm::activate_md();
        command_ok("mdadm", &args, false, &format!("mdadm: {}", name)).map(|_| ())
    }

    fn md_detail(&mut self, md: &str) -> Result<Vec<(String, String)>> {
        let out = ocaml_command("mdadm", &["-D", "--export", md], false)?;
        Ok(out
            .trim()
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                let k = k.strip_prefix("MD_").unwrap_or(k);
                (k.to_ascii_lowercase(), v.to_string())
            })
            .collect())
    }

    fn md_stat(&mut self, md: &str) -> Result<Vec<MdStat>> {
        let name = md.strip_prefix("/dev/").unwrap_or(md);
        let mdstat = std::fs::read_to_string("/proc/mdstat")
            .map_err(|e| crate::sys::io_error(&e, "fopen: /proc/mdstat"))?;
        let prefix = format!("{} : ", name);
        match mdstat.lines().find_map(|l| l.strip_prefix(prefix.as_str())) {
            Some(rest) => parse_mdstat_members(rest),
            None => Err(Error::msg(format!("{}: MD device not found", name))),
        }
    }

    fn md_stop(&mut self, md: &str) -> Result<()> {
        command_ok("mdadm", &["--stop", md], false, "").map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_in_bitmap_order() {
        let opts = MdCreateOpts {
            missingbitmap: Some(0b101),
            ..Default::default()
        };
        let devs = vec!["/dev/sda1".to_string()];
        let args = md_create_args("r", &devs, &opts).unwrap();
        assert_eq!(args[args.len() - 3..], ["missing", "/dev/sda1", "missing"]);
    }

    #[test]
    fn mdstat_line_members() {
        let m = parse_mdstat_members("active raid1 sdz1[0] sdy1[1](F)(S)").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[1].mdstat_index, m[1].mdstat_flags.as_str()), (1, "FS"));
        assert!(parse_mdstat_members("active [0]").is_err());
    }
}

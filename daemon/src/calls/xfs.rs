//! XFS through xfsprogs: xfs_info parsed as 1.48 parses it, xfs_growfs, xfs_admin (labels,
//! UUIDs, feature bits), xfs_repair.

use crate::sys::{command_ok, command_r};
use guestfs_protocol::{Error, Result, XfsAdminOpts, XfsGrowfsOpts, XfsInfo, XfsRepairOpts};

/// Longest label an XFS superblock holds.
pub const XFS_LABEL_MAX: usize = 12;

/// Everything up to the first comma, equals sign or space.
fn field(s: &str) -> &str {
    let end = s.find([' ', ',', '=']).unwrap_or(s.len());
    &s[..end]
}

/// A leading unsigned number as `sscanf("%u")` reads it (spaces first, digits, anything after).
fn number<T: std::str::FromStr>(s: &str) -> Result<T> {
    let t = s.trim_start();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    t[..digits]
        .parse()
        .map_err(|_| Error::msg(format!("cannot parse numeric field from xfs_info: {}", s)))
}

/// xfs_info's layout, section by section (`meta-data`, `data`, `naming`, `log`, `realtime`);
/// a field it does not show stays -1 (all ones).
pub fn parse_xfs_info(out: &str) -> Result<XfsInfo> {
    let mut x = XfsInfo {
        xfs_inodesize: u32::MAX,
        xfs_agcount: u32::MAX,
        xfs_agsize: u32::MAX,
        xfs_sectsize: u32::MAX,
        xfs_attr: u32::MAX,
        xfs_blocksize: u32::MAX,
        xfs_datablocks: u64::MAX,
        xfs_imaxpct: u32::MAX,
        xfs_sunit: u32::MAX,
        xfs_swidth: u32::MAX,
        xfs_dirversion: u32::MAX,
        xfs_dirblocksize: u32::MAX,
        xfs_cimode: u32::MAX,
        xfs_logblocksize: u32::MAX,
        xfs_logblocks: u32::MAX,
        xfs_logversion: u32::MAX,
        xfs_logsectsize: u32::MAX,
        xfs_logsunit: u32::MAX,
        xfs_lazycount: u32::MAX,
        xfs_rtextsize: u32::MAX,
        xfs_rtblocks: u64::MAX,
        xfs_rtextents: u64::MAX,
        ..Default::default()
    };
    let mut section = String::new();
    for line in out.split('\n') {
        if line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            section = field(line).to_string();
        }
        let after = |key: &str| line.find(key).map(|i| &line[i + key.len()..]);
        if let Some(v) = after("meta-data=") {
            x.xfs_mntpoint = field(v).to_string();
        }
        if let Some(v) = after("isize=") {
            x.xfs_inodesize = number(field(v))?;
        }
        if let Some(v) = after("agcount=") {
            x.xfs_agcount = number(field(v))?;
        }
        if let Some(v) = after("agsize=") {
            x.xfs_agsize = number(field(v))?;
        }
        if let Some(v) = after("sectsz=") {
            match section.as_str() {
                "meta-data" => x.xfs_sectsize = number(field(v))?,
                "log" => x.xfs_logsectsize = number(field(v))?,
                _ => {}
            }
        }
        if let Some(v) = after("attr=") {
            x.xfs_attr = number(field(v))?;
        }
        if let Some(v) = after("bsize=") {
            match section.as_str() {
                "data" => x.xfs_blocksize = number(field(v))?,
                "naming" => x.xfs_dirblocksize = number(field(v))?,
                "log" => x.xfs_logblocksize = number(field(v))?,
                _ => {}
            }
        }
        if let Some(v) = after("blocks=") {
            match section.as_str() {
                "data" => x.xfs_datablocks = number(field(v))?,
                "log" => x.xfs_logblocks = number(field(v))?,
                "realtime" => x.xfs_rtblocks = number(field(v))?,
                _ => {}
            }
        }
        if let Some(v) = after("imaxpct=") {
            x.xfs_imaxpct = number(field(v))?;
        }
        if let Some(v) = after("sunit=") {
            match section.as_str() {
                "data" => x.xfs_sunit = number(field(v))?,
                "log" => x.xfs_logsunit = number(field(v))?,
                _ => {}
            }
        }
        if let Some(v) = after("swidth=") {
            x.xfs_swidth = number(field(v))?;
        }
        if let Some(v) = after("naming   =version ") {
            x.xfs_dirversion = number(field(v))?;
        }
        if let Some(v) = after("ascii-ci=") {
            x.xfs_cimode = number(field(v))?;
        }
        if let Some(v) = after("log      =") {
            x.xfs_logname = field(v).to_string();
        }
        if let Some(v) = after("version=") {
            x.xfs_logversion = number(field(v))?;
        }
        if let Some(v) = after("lazy-count=") {
            x.xfs_lazycount = number(field(v))?;
        }
        if let Some(v) = after("realtime =") {
            x.xfs_rtname = field(v).to_string();
        }
        if let Some(v) = after("rtextents=") {
            x.xfs_rtextents = number(field(v))?;
        }
    }
    Ok(x)
}

/// `xfs_info` of a device or an appliance path.
pub fn xfs_info(target: &str) -> Result<XfsInfo> {
    let out = command_ok("xfs_info", &[target], false, "")?;
    parse_xfs_info(&out)
}

pub fn xfs_growfs(path: &str, target: &str, o: &XfsGrowfsOpts) -> Result<()> {
    let mut a: Vec<String> = Vec::new();
    for (flag, set) in [("-d", o.datasec), ("-l", o.logsec), ("-r", o.rtsec)] {
        if set == Some(true) {
            a.push(flag.into());
        }
    }
    let sizes = [
        ("-D", o.datasize, "datasize"),
        ("-L", o.logsize, "logsize"),
        ("-R", o.rtsize, "rtsize"),
        ("-e", o.rtextsize, "rtextsize"),
        ("-m", o.maxpct.map(i64::from), "maxpct"),
    ];
    for (flag, value, name) in sizes {
        if let Some(v) = value {
            if v < 0 {
                return Err(Error::msg(format!("{} must be >= 0", name)));
            }
            a.extend([flag.into(), v.to_string()]);
        }
    }
    a.push(target.into());
    let args: Vec<&str> = a.iter().map(String::as_str).collect();
    command_ok("xfs_growfs", &args, false, path).map(|_| ())
}

pub fn xfs_admin(device: &str, o: &XfsAdminOpts) -> Result<()> {
    let mut a: Vec<&str> = Vec::new();
    let bits = [
        ("-e", o.extunwritten),
        ("-f", o.imgfile),
        ("-j", o.v2log),
        ("-p", o.projid32bit),
    ];
    for (flag, set) in bits {
        if set == Some(true) {
            a.push(flag);
        }
    }
    if let Some(lazy) = o.lazycounter {
        a.extend(["-c", if lazy { "1" } else { "0" }]);
    }
    if let Some(label) = &o.label {
        if label.len() > XFS_LABEL_MAX {
            return Err(Error::msg(format!(
                "{}: xfs labels are limited to {} bytes",
                label, XFS_LABEL_MAX
            )));
        }
        a.extend(["-L", label]);
    }
    if let Some(uuid) = &o.uuid {
        a.extend(["-U", uuid]);
    }
    a.push(device);
    command_ok("xfs_admin", &a, true, device).map(|_| ())
}

pub fn set_label(device: &str, label: &str) -> Result<()> {
    // "---" clears the label in xfs_admin; 1.48 keeps that out of set_label.
    if label == "---" {
        return Err(Error::msg("xfs: invalid new label"));
    }
    xfs_admin(
        device,
        &XfsAdminOpts {
            label: Some(label.to_string()),
            ..Default::default()
        },
    )
}

pub fn set_uuid(device: &str, uuid: &str) -> Result<()> {
    xfs_admin(
        device,
        &XfsAdminOpts {
            uuid: Some(uuid.to_string()),
            ..Default::default()
        },
    )
}

/// xfs_repair; its exit status is the answer (1: corruption found with `nomodify`).
/// `device` is the caller's name, `target` the device or the appliance path of an image.
pub fn xfs_repair(device: &str, target: &str, is_device: bool, o: &XfsRepairOpts) -> Result<i32> {
    let mut a: Vec<String> = Vec::new();
    let bits = [
        (o.forcelogzero, "-L"),
        (o.nomodify, "-n"),
        (o.noprefetch, "-P"),
    ];
    for (set, flag) in bits {
        if set == Some(true) {
            a.push(flag.into());
        }
    }
    if o.forcegeometry == Some(true) {
        a.extend(["-o".into(), "force_geometry".into()]);
    }
    let sizes = [
        (o.maxmem, "maxmem", "-m", ""),
        (o.ihashsize, "ihashsize", "-o", "ihash="),
        (o.bhashsize, "bhashsize", "-o", "bhash="),
        (o.agstride, "agstride", "-o", "ag_stride="),
    ];
    for (value, name, flag, key) in sizes {
        if let Some(v) = value {
            if v < 0 {
                return Err(Error::msg(format!("{} must be >= 0", name)));
            }
            a.extend([flag.into(), format!("{}{}", key, v)]);
        }
    }
    if let Some(l) = &o.logdev {
        a.extend(["-l".into(), l.clone()]);
    }
    if let Some(r) = &o.rtdev {
        a.extend(["-r".into(), r.clone()]);
    }
    if !is_device {
        a.push("-f".into());
    }
    a.push(target.into());
    let args: Vec<&str> = a.iter().map(String::as_str).collect();
    let done = command_r("xfs_repair", &args, false)?;
    done.status
        .ok_or_else(|| Error::msg(format!("{}: {}", device, done.stderr)))
}

/// The size XFS occupies now (it cannot shrink), from a mounted filesystem.
pub fn minimum_size(path: &str) -> Result<i64> {
    let info = xfs_info(path)?;
    (info.xfs_blocksize as i64)
        .checked_mul(info.xfs_datablocks as i64)
        .ok_or_else(|| Error::msg("filesystem size too big: overflow"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "meta-data=/dev/sda1              isize=512    agcount=4, agsize=32000 blks
         =                       sectsz=512   attr=2, projid32bit=1
         =                       crc=1        finobt=1, sparse=1, rmapbt=0
         =                       reflink=1    bigtime=1 inobtcount=1 nrext64=0
data     =                       bsize=4096   blocks=128000, imaxpct=25
         =                       sunit=0      swidth=0 blks
naming   =version 2              bsize=4096   ascii-ci=0, ftype=1
log      =internal log           bsize=4096   blocks=16384, version=2
         =                       sectsz=512   sunit=0 blks, lazy-count=1
realtime =none                   extsz=4096   blocks=0, rtextents=0
";

    #[test]
    fn xfs_info_parses_by_section() {
        let x = parse_xfs_info(INFO).unwrap();
        assert_eq!(x.xfs_mntpoint, "/dev/sda1");
        assert_eq!(
            (x.xfs_inodesize, x.xfs_agcount, x.xfs_agsize),
            (512, 4, 32000)
        );
        assert_eq!((x.xfs_sectsize, x.xfs_logsectsize), (512, 512));
        assert_eq!((x.xfs_blocksize, x.xfs_datablocks), (4096, 128000));
        assert_eq!(
            (x.xfs_dirversion, x.xfs_dirblocksize, x.xfs_cimode),
            (2, 4096, 0)
        );
        assert_eq!(
            (x.xfs_logname.as_str(), x.xfs_logblocks),
            ("internal", 16384)
        );
        assert_eq!((x.xfs_logversion, x.xfs_lazycount), (2, 1));
        assert_eq!((x.xfs_rtname.as_str(), x.xfs_rtblocks), ("none", 0));
        assert_eq!(x.xfs_rtextsize, u32::MAX);
    }
}

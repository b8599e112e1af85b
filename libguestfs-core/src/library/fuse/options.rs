//! The `options` of `mount_local` (guestmount's `-o`): a comma-separated list, `\` escaping a
//! comma or backslash, of the FUSE options libfuse 2 takes. Kernel mount options go to the
//! mount; the options libfuse itself implemented (cache timeouts, `nonempty`, `uid`, `gid`,
//! `umask`, `kernel_cache`, `direct_io`) are implemented by the mount's filesystem.

use fuser::{MountOption, SessionACL};
use std::time::Duration;

/// What the options ask of the mount and of the filesystem serving it.
#[derive(Debug, Clone)]
pub(super) struct FuseOptions {
    pub mount: Vec<MountOption>,
    pub acl: SessionACL,
    /// Mount over a directory that is not empty.
    pub nonempty: bool,
    /// How long the kernel keeps names and attributes (libfuse's defaults: 1 s each, 0 for
    /// names that do not exist).
    pub entry_timeout: Duration,
    pub attr_timeout: Duration,
    pub negative_timeout: Duration,
    pub kernel_cache: bool,
    pub direct_io: bool,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub umask: Option<u32>,
}

impl Default for FuseOptions {
    fn default() -> Self {
        FuseOptions {
            mount: Vec::new(),
            acl: SessionACL::Owner,
            nonempty: false,
            entry_timeout: Duration::from_secs(1),
            attr_timeout: Duration::from_secs(1),
            negative_timeout: Duration::ZERO,
            kernel_cache: false,
            direct_io: false,
            uid: None,
            gid: None,
            umask: None,
        }
    }
}

/// Splits on the commas not escaped by a backslash, and removes the escapes.
fn split(options: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.last_mut().expect("never empty").push(next);
                }
            }
            ',' => out.push(String::new()),
            c => out.last_mut().expect("never empty").push(c),
        }
    }
    out.retain(|o| !o.is_empty());
    out
}

fn seconds(value: &str) -> Option<Duration> {
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// Parses the options; an option it does not know is returned as the error (libfuse's
/// "unknown option").
pub(super) fn parse(options: &str) -> Result<FuseOptions, String> {
    let mut o = FuseOptions::default();
    for opt in split(options) {
        let (name, value) = match opt.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (opt.as_str(), None),
        };
        let known = match (name, value) {
            ("allow_other", None) => {
                o.acl = SessionACL::All;
                true
            }
            ("allow_root", None) => {
                o.acl = SessionACL::RootAndOwner;
                true
            }
            ("nonempty", None) => {
                o.nonempty = true;
                true
            }
            ("kernel_cache", None) => {
                o.kernel_cache = true;
                true
            }
            ("direct_io", None) => {
                o.direct_io = true;
                true
            }
            ("entry_timeout", Some(v)) => seconds(v).map(|d| o.entry_timeout = d).is_some(),
            ("attr_timeout", Some(v)) => seconds(v).map(|d| o.attr_timeout = d).is_some(),
            ("negative_timeout", Some(v)) => seconds(v).map(|d| o.negative_timeout = d).is_some(),
            ("uid", Some(v)) => v.parse().map(|n| o.uid = Some(n)).is_ok(),
            ("gid", Some(v)) => v.parse().map(|n| o.gid = Some(n)).is_ok(),
            ("umask", Some(v)) => u32::from_str_radix(v, 8)
                .map(|n| o.umask = Some(n & 0o7777))
                .is_ok(),
            ("fsname", Some(v)) => {
                o.mount.push(MountOption::FSName(v.to_string()));
                true
            }
            ("subtype", Some(v)) => {
                o.mount.push(MountOption::Subtype(v.to_string()));
                true
            }
            (_, None) => match kernel_flag(name) {
                Some(flag) => {
                    o.mount.push(flag);
                    true
                }
                None => false,
            },
            ("max_read" | "blksize", Some(v)) if v.parse::<u32>().is_ok() => {
                o.mount.push(MountOption::CUSTOM(opt.clone()));
                true
            }
            _ => false,
        };
        if !known {
            return Err(opt);
        }
    }
    Ok(o)
}

fn kernel_flag(name: &str) -> Option<MountOption> {
    Some(match name {
        "ro" => MountOption::RO,
        "rw" => MountOption::RW,
        "dev" => MountOption::Dev,
        "nodev" => MountOption::NoDev,
        "suid" => MountOption::Suid,
        "nosuid" => MountOption::NoSuid,
        "exec" => MountOption::Exec,
        "noexec" => MountOption::NoExec,
        "atime" => MountOption::Atime,
        "noatime" => MountOption::NoAtime,
        "sync" => MountOption::Sync,
        "async" => MountOption::Async,
        "dirsync" => MountOption::DirSync,
        "default_permissions" => MountOption::DefaultPermissions,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_split_unescaped_and_known() {
        assert_eq!(split(r"a,b\,c,,d\\"), vec!["a", "b,c", r"d\"]);
        let o = parse("allow_other,attr_timeout=2.5,nonempty,ro,fsname=x\\,y,umask=022").unwrap();
        assert_eq!(o.acl, SessionACL::All);
        assert_eq!(o.attr_timeout, Duration::from_millis(2500));
        assert!(o.nonempty);
        assert_eq!(o.umask, Some(0o22));
        assert!(o.mount.contains(&MountOption::RO));
        assert!(o.mount.contains(&MountOption::FSName("x,y".into())));
        assert_eq!(parse("bogus").unwrap_err(), "bogus");
        assert_eq!(parse("attr_timeout=x").unwrap_err(), "attr_timeout=x");
    }
}

//! `ll`: a directory listing in the format of `ls -la` (GNU coreutils, C locale, output not a
//! terminal), which libguestfs's daemon runs for this call. Built from `readdir` and `lstatns`
//! so every backend gives the same text.

use crate::error::Result;
use crate::handle::Handle;
use crate::types::*;
use guestfs_protocol::calls::checked;

/// Half a Gregorian year: coreutils shows the year instead of the time for files older.
const SIX_MONTHS: i64 = 31_556_952 / 2;

/// `drwxr-xr-x`-style mode text.
pub fn mode_string(mode: i64) -> String {
    let t = match mode & S_IFMT {
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        S_IFBLK => 'b',
        S_IFCHR => 'c',
        S_IFIFO => 'p',
        S_IFSOCK => 's',
        _ => '-',
    };
    let bit = |m: i64, c: char| if mode & m != 0 { c } else { '-' };
    let special = |exec: bool, set: bool, on: char, off: char| match (exec, set) {
        (true, true) => on,
        (false, true) => off,
        (true, false) => 'x',
        (false, false) => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(mode & 0o100 != 0, mode & 0o4000 != 0, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(mode & 0o010 != 0, mode & 0o2000 != 0, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(mode & 0o001 != 0, mode & 0o1000 != 0, 't', 'T'));
    s
}

struct Line {
    mode: String,
    nlink: String,
    uid: String,
    gid: String,
    size: String,
    date: String,
    name: String,
}

impl Handle {
    /// The text of `ls -la DIR`.
    pub(crate) fn impl_ll(&mut self, directory: &str) -> Result<String> {
        // A daemon call in libguestfs: it reads the directory without inner (traced) calls.
        let Some(be) = self.backend_mut() else {
            return Err(crate::error::Error::new(
                libc::EINVAL,
                "the handle is not launched",
            ));
        };
        let entries = checked::readdir(be, directory)?;
        let mut names: Vec<String> = entries.into_iter().map(|e| e.name).collect();
        names.sort_by(|a, b| guestfs_protocol::lossless::cmp(a, b));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut lines = Vec::new();
        let mut total_blocks: i64 = 0;
        for name in names {
            let path = match name.as_str() {
                "." => directory.to_string(),
                ".." => parent_of(directory),
                n if directory.ends_with('/') => format!("{}{}", directory, n),
                n => format!("{}/{}", directory, n),
            };
            let st = match checked::lstatns(be, &path) {
                Ok(st) => st,
                Err(_) => continue,
            };
            total_blocks += st.st_blocks;
            let size = if matches!(st.file_type(), S_IFBLK | S_IFCHR) {
                let (maj, min) = major_minor(st.st_rdev);
                format!("{}, {}", maj, min)
            } else {
                st.st_size.to_string()
            };
            let t = st.st_mtime_sec;
            let recent = t <= now && now - t < SIX_MONTHS;
            let date = if recent {
                crate::time::format_local(t, "%b %e %H:%M")
            } else {
                crate::time::format_local(t, "%b %e  %Y")
            };
            let mut shown = name.clone();
            if st.is_symlink() {
                if let Ok(target) = checked::readlink(be, &path) {
                    shown = format!("{} -> {}", name, target);
                }
            }
            lines.push(Line {
                mode: mode_string(st.st_mode),
                nlink: st.st_nlink.to_string(),
                uid: st.st_uid.to_string(),
                gid: st.st_gid.to_string(),
                size,
                date,
                name: shown,
            });
        }
        let w = |f: fn(&Line) -> usize| lines.iter().map(f).max().unwrap_or(0);
        let (wn, wu, wg, ws) = (
            w(|l| l.nlink.len()),
            w(|l| l.uid.len()),
            w(|l| l.gid.len()),
            w(|l| l.size.len()),
        );
        // `total` is in 1 KiB units, rounded up, like ls's default block size. Owners are
        // numbers (the appliance's ls finds no names for them), which ls right-aligns.
        let mut out = format!("total {}\n", (total_blocks + 1) / 2);
        for l in &lines {
            out.push_str(&format!(
                "{} {:>wn$} {:>wu$} {:>wg$} {:>ws$} {} {}\n",
                l.mode,
                l.nlink,
                l.uid,
                l.gid,
                l.size,
                l.date,
                l.name,
                wn = wn,
                wu = wu,
                wg = wg,
                ws = ws
            ));
        }
        Ok(out)
    }
}

fn parent_of(dir: &str) -> String {
    let trimmed = dir.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", _)) | None => "/".to_string(),
        Some((p, _)) => p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings_like_ls() {
        assert_eq!(mode_string(S_IFDIR | 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(S_IFREG | 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string(S_IFREG | 0o2644), "-rw-r-Sr--");
        assert_eq!(mode_string(S_IFDIR | 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(S_IFLNK | 0o777), "lrwxrwxrwx");
    }

    #[test]
    fn parents() {
        assert_eq!(parent_of("/"), "/");
        assert_eq!(parent_of("/etc"), "/");
        assert_eq!(parent_of("/etc/x/"), "/etc");
    }
}

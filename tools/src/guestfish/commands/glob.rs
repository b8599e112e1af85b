//! `glob CMD ARGS…`: each argument that is a guest path or device pattern is expanded, and the
//! command runs once for every combination of the expansions.

use super::super::dispatch::issue_command;
use super::super::session::{stderr_line, CmdResult, Failed, Fish};
use super::words;
use guestfs::GlobExpandOpts;

pub fn run_glob(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let args = words(args);
    let Some((command, patterns)) = args.split_first() else {
        stderr_line("use 'glob command [args...]'");
        return Err(Failed);
    };
    let mut expansions: Vec<Vec<String>> = Vec::with_capacity(patterns.len());
    for p in patterns {
        let matches = if p.starts_with("/dev/") {
            expand_device(fish, p)?
        } else if p.starts_with('/') {
            expand_path(fish, p)?
        } else {
            vec![p.clone()]
        };
        expansions.push(matches);
    }
    // Every combination, the last argument varying fastest.
    let mut result = Ok(());
    let mut position = vec![0usize; expansions.len()];
    loop {
        let argv: Vec<Vec<u8>> = expansions
            .iter()
            .zip(&position)
            .map(|(e, &i)| e[i].clone().into_bytes())
            .collect();
        if issue_command(fish, command, &argv, None, false).is_err() {
            result = Err(Failed);
        }
        let mut i = expansions.len();
        loop {
            if i == 0 {
                return result;
            }
            i -= 1;
            position[i] += 1;
            if position[i] < expansions[i].len() {
                break;
            }
            position[i] = 0;
        }
    }
}

/// A guest path pattern: its matches, or the pattern itself when nothing matches.
fn expand_path(fish: &mut Fish, pattern: &str) -> Result<Vec<String>, Failed> {
    match fish.g.glob_expand(pattern, GlobExpandOpts::default()) {
        Ok(m) if m.is_empty() => Ok(vec![pattern.to_string()]),
        Ok(m) => Ok(m),
        Err(_) => {
            stderr_line(&format!(
                "glob: guestfs_glob_expand call failed: {}",
                pattern
            ));
            Err(Failed)
        }
    }
}

/// A device pattern (`/dev/sd*`), matched against the devices, partitions, md devices and
/// (with LVM available) logical volumes; the pattern itself when nothing matches.
fn expand_device(fish: &mut Fish, pattern: &str) -> Result<Vec<String>, Failed> {
    let mut candidates = Vec::new();
    candidates.extend(fish.g.list_devices().map_err(|_| Failed)?);
    candidates.extend(fish.g.list_partitions().map_err(|_| Failed)?);
    candidates.extend(fish.g.list_md_devices().map_err(|_| Failed)?);
    // As in 1.48, an error from the feature test counts as "available".
    if fish.g.feature_available(&["lvm2".to_string()]) != Ok(false) {
        candidates.extend(fish.g.lvs().map_err(|_| Failed)?);
    }
    let mut matches = Vec::new();
    for c in candidates {
        if fnmatch_pathname(pattern, &c)? {
            matches.push(c);
        }
    }
    if matches.is_empty() {
        matches.push(pattern.to_string());
    }
    Ok(matches)
}

/// POSIX `fnmatch(pattern, name, FNM_PATHNAME)`.
fn fnmatch_pathname(pattern: &str, name: &str) -> Result<bool, Failed> {
    let (Ok(p), Ok(n)) = (
        std::ffi::CString::new(pattern),
        std::ffi::CString::new(name),
    ) else {
        return Ok(false);
    };
    // SAFETY: both arguments are valid NUL-terminated strings that outlive the call.
    let r = unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), libc::FNM_PATHNAME) };
    match r {
        0 => Ok(true),
        libc::FNM_NOMATCH => Ok(false),
        r => {
            stderr_line(&format!(
                "glob: fnmatch: error (r = {}, errno = {})",
                r,
                std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
            ));
            Err(Failed)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn device_patterns() {
        assert_eq!(super::fnmatch_pathname("/dev/sd*", "/dev/sda1"), Ok(true));
        assert_eq!(super::fnmatch_pathname("/dev/sd?", "/dev/sda1"), Ok(false));
        assert_eq!(super::fnmatch_pathname("/dev/*", "/dev/VG/LV"), Ok(false));
        assert_eq!(super::fnmatch_pathname("/dev/*/*", "/dev/VG/LV"), Ok(true));
    }
}

//! The commands that hand a guest file to a local program: `edit`, `more`, `display`,
//! `hexedit`, and `man` for the manual. The program runs through the shell, as 1.48 runs it.

use super::super::args::win_prefix;
use super::super::session::{perror, perror_stale, stderr_line, system, CmdResult, Failed, Fish};
use super::super::tempfile::{self, TempPath};
use super::alloc::parse_size;
use super::words;
use guestfs::CopyAttributesOpts;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

/// Files larger than this need an explicit range in `hexedit`.
const HEXEDIT_MAX: i64 = 16 * 1024 * 1024;

/// A new empty temporary file in the temporary directory `tmpdir` (the handle's).
fn temp_file(tmpdir: Result<String, Failed>, prefix: &str) -> Result<TempPath, Failed> {
    match tempfile::create(&tmpdir?, prefix) {
        Ok((_, path)) => Ok(TempPath(path)),
        Err(e) => {
            perror("mkstemp", &e);
            Err(Failed)
        }
    }
}

/// Runs `PROGRAM FILE` through the shell; any failure (or non-zero status) is reported with
/// the command line.
fn view(command: &str) -> CmdResult {
    match system(command) {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => {
            perror_stale(command, 0);
            Err(Failed)
        }
        Err(e) => {
            perror(command, &e);
            Err(Failed)
        }
    }
}

/// The handle's temporary directory. `more` and `display` ask for it before looking at their
/// arguments, as 1.48 does (it shows in traces and events).
fn tmpdir(fish: &mut Fish) -> Result<String, Failed> {
    fish.g.get_tmpdir().map_err(|_| Failed)
}

pub fn run_more(fish: &mut Fish, cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let dir = tmpdir(fish);
    let [file] = &words(args)[..] else {
        stderr_line(&format!("use '{} filename' to page a file", cmd));
        return Err(Failed);
    };
    let pager = if cmd.eq_ignore_ascii_case("less") {
        "less".to_string()
    } else {
        std::env::var("PAGER").unwrap_or_else(|_| "more".to_string())
    };
    download_and_view(fish, dir, file, &pager)
}

/// Downloads a guest file to a temporary file and runs `program` on it.
fn download_and_view(
    fish: &mut Fish,
    dir: Result<String, Failed>,
    file: &str,
    program: &str,
) -> CmdResult {
    let remote = win_prefix(fish, file).ok_or(Failed)?;
    let tmp = temp_file(dir, "guestfish")?;
    fish.g
        .download(&remote, &tmp.as_str())
        .map_err(|_| Failed)?;
    view(&format!("{} {}", program, tmp.as_str()))
}

pub fn run_display(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let dir = tmpdir(fish);
    let [file] = &words(args)[..] else {
        stderr_line("display filename");
        return Err(Failed);
    };
    let viewer = std::env::var("GUESTFISH_DISPLAY_IMAGE").unwrap_or_else(|_| "display".to_string());
    download_and_view(fish, dir, file, &viewer)
}

pub fn run_man(_fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    if !args.is_empty() {
        stderr_line("use ‘man’ without parameters to open the manual");
        return Err(Failed);
    }
    match system("man 1 guestfish") {
        Ok(s) if s.success() => Ok(()),
        _ => Err(Failed),
    }
}

/// The change time and size of a local file, to tell whether an editor changed it (to the
/// nanosecond: 1.48 compares whole seconds and can miss an edit made within the same second).
fn change_stamp(path: &str) -> Result<(i64, i64, u64), Failed> {
    match std::fs::metadata(path) {
        Ok(m) => Ok((m.ctime(), m.ctime_nsec(), m.size())),
        Err(e) => {
            perror(path, &e);
            Err(Failed)
        }
    }
}

pub fn run_edit(fish: &mut Fish, cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let [file] = &words(args)[..] else {
        stderr_line(&format!("use '{} filename' to edit a file", cmd));
        return Err(Failed);
    };
    let editor = if cmd.eq_ignore_ascii_case("vi") {
        "vi".to_string()
    } else if cmd.eq_ignore_ascii_case("emacs") {
        "emacs -nw".to_string()
    } else {
        std::env::var("EDITOR").unwrap_or_else(|_| "vi".to_string())
    };
    let remote = win_prefix(fish, file).ok_or(Failed)?;
    let tmp = temp_file(tmpdir(fish), "libguestfs")?;
    let local = tmp.as_str();
    fish.g.download(&remote, &local).map_err(|_| Failed)?;
    // Set the times 5 s back, so that an edit within the same second is still seen.
    let meta = std::fs::metadata(&local).map_err(|e| {
        perror(&local, &e);
        Failed
    })?;
    let back = |t: std::io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.checked_sub(Duration::from_secs(5)))
            .unwrap_or(std::time::UNIX_EPOCH)
    };
    let times = std::fs::FileTimes::new()
        .set_accessed(back(meta.accessed()))
        .set_modified(back(meta.modified()));
    let set = std::fs::File::options()
        .write(true)
        .open(&local)
        .and_then(|f| f.set_times(times));
    if let Err(e) = set {
        perror("utimes", &e);
        return Err(Failed);
    }
    let before = change_stamp(&local)?;
    let command = format!("{} {}", editor, local);
    // As C's WEXITSTATUS sees it, an editor killed by a signal exited with 0.
    match system(&command) {
        Ok(s) if s.code().unwrap_or(0) == 0 => {}
        Ok(_) => {
            perror_stale(&command, 0);
            return Err(Failed);
        }
        Err(e) => {
            perror(&command, &e);
            return Err(Failed);
        }
    }
    let after = change_stamp(&local)?;
    if before == after {
        return Ok(());
    }
    upload_replacing(fish, &remote, &local)
}

/// Uploads `local` beside the guest file (its real path) under a random name, copies the
/// original's attributes to it, then renames it over the original.
fn upload_replacing(fish: &mut Fish, remote: &str, local: &str) -> CmdResult {
    let target = fish.g.realpath(remote).map_err(|_| Failed)?;
    let dir_end = target.rfind('/').map_or(0, |i| i + 1);
    let newname = format!("{}{}", &target[..dir_end], random_name(8)?);
    fish.g.upload(local, &newname).map_err(|_| Failed)?;
    let all = CopyAttributesOpts {
        all: Some(true),
        ..Default::default()
    };
    fish.g
        .copy_attributes(&target, &newname, all)
        .map_err(|_| Failed)?;
    fish.g.mv(&newname, &target).map_err(|_| Failed)
}

/// `len` random lower-case letters and digits.
fn random_name(len: usize) -> Result<String, Failed> {
    use std::io::Read;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    if let Err(e) = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)) {
        perror("guestfs_int_random_string", &e);
        return Err(Failed);
    }
    Ok(bytes
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect())
}

pub fn run_hexedit(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let args = words(args);
    if args.is_empty() || args.len() > 3 {
        stderr_line("hexedit (device|filename) [max | start max]");
        return Err(Failed);
    }
    let filename = &args[0];
    let size = if filename.starts_with("/dev/") {
        fish.g.blockdev_getsize64(filename)
    } else {
        fish.g.filesize(filename)
    }
    .map_err(|_| Failed)?;
    if size == 0 {
        stderr_line(&format!(
            "hexedit: {} is a zero length file or device",
            filename
        ));
        return Err(Failed);
    }
    let (start, max) = match &args[1..] {
        [] => {
            if size > HEXEDIT_MAX {
                stderr_line(&format!(
                    "hexedit: {f} is larger than 16MB. You must supply a limit using\n  'hexedit {f} <max>' (eg. 'hexedit {f} 1M') or a range using\n  'hexedit {f} <start> <max>'.",
                    f = filename
                ));
                return Err(Failed);
            }
            (0, size)
        }
        rest => {
            let (start, max) = match rest {
                [start, max] => (parse_size(start)? as i64, parse_size(max)? as i64),
                [max] => (0, parse_size(max)? as i64),
                _ => unreachable!("one to three arguments checked above"),
            };
            let max = if start.saturating_add(max) > size {
                size - start
            } else {
                max
            };
            (start, max)
        }
    };
    if max <= 0 {
        stderr_line("hexedit: invalid range");
        return Err(Failed);
    }
    let tmp = temp_file(tmpdir(fish), "guestfish")?;
    let local = tmp.as_str();
    let editor = std::env::var("HEXEDITOR").unwrap_or_else(|_| "hexedit".to_string());
    fish.g
        .download_offset(filename, &local, start, max)
        .map_err(|_| Failed)?;
    let before = change_stamp(&local)?;
    view(&format!("{} {}", editor, local))?;
    let after = change_stamp(&local)?;
    if before == after {
        return Ok(());
    }
    fish.g
        .upload_offset(&local, filename, start)
        .map_err(|_| Failed)
}

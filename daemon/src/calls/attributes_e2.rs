//! ext2-family file attributes and generation numbers, through `lsattr` and `chattr` on the
//! sysroot path as 1.48 does (their error messages are part of 1.48's).

use crate::daemon::Daemon;
use crate::sys::{command_ok, cstr};
use guestfs_protocol::{Error, Result};

/// Attribute letters `chattr` keeps for its own options.
const RESERVED: &[u8] = b"RVfv";

/// The `+`/`-` argument of `chattr` for a set of attribute letters, checked as 1.48 checks
/// them; None when there is nothing to change.
fn chattr_argument(attrs: &str, clear: bool) -> Result<Option<String>> {
    if attrs.is_empty() {
        return Ok(None);
    }
    let mut seen = [false; 128];
    let mut arg = String::from(if clear { "-" } else { "+" });
    for ch in attrs.chars() {
        let b = if ch.is_ascii() { ch as u8 } else { 0 };
        if RESERVED.contains(&b) {
            return Err(Error::msg(format!("bad file attribute '{}'", ch)));
        }
        if !b.is_ascii_alphabetic() {
            return Err(Error::msg(format!("unknown file attribute '{}'", ch)));
        }
        if seen[b as usize] {
            return Err(Error::msg(format!("duplicate file attribute '{}'", ch)));
        }
        seen[b as usize] = true;
        arg.push(ch);
    }
    Ok(Some(arg))
}

/// The leading integer of `lsattr -v` output, read as C's `%i` reads it (base from prefix).
fn leading_integer(out: &str) -> Option<i64> {
    let c = cstr(out).ok()?;
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: a valid C string; `end` points into it afterwards.
    let v = unsafe { libc::strtoll(c.as_ptr(), &mut end, 0) };
    (!std::ptr::eq(end, c.as_ptr())).then_some(v)
}

impl Daemon {
    /// Runs lsattr or chattr on the sysroot path; failures read `PROGRAM: FILE: ERROR`.
    fn e2_program(&self, program: &str, args: &[&str], file: &str) -> Result<String> {
        let full = self.sysroot_path(file);
        let mut argv = args.to_vec();
        argv.extend(["--", &full]);
        command_ok(program, &argv, false, &format!("{}: {}", program, file))
    }

    /// The attribute letters of a file, without dashes, sorted.
    pub(super) fn get_e2attrs(&mut self, file: &str) -> Result<String> {
        let out = self.e2_program("lsattr", &["-d"], file)?;
        let flags = out.split(' ').next().unwrap_or("");
        let mut letters: Vec<u8> = flags.bytes().filter(|&b| b != b'-').collect();
        letters.sort_unstable();
        Ok(String::from_utf8_lossy(&letters).into_owned())
    }

    pub(super) fn set_e2attrs(&mut self, file: &str, attrs: &str, clear: bool) -> Result<()> {
        match chattr_argument(attrs, clear)? {
            Some(arg) => self.e2_program("chattr", &[&arg], file).map(|_| ()),
            None => Ok(()),
        }
    }

    pub(super) fn get_e2generation(&mut self, file: &str) -> Result<i64> {
        let out = self.e2_program("lsattr", &["-dv"], file)?;
        match leading_integer(&out) {
            None => Err(Error::msg(format!(
                "cannot parse output from 'lsattr' command: {}",
                out
            ))),
            Some(n) if n < 0 => Err(Error::msg(format!(
                "unexpected negative number from 'lsattr' command: {}",
                out
            ))),
            Some(n) => Ok(n),
        }
    }

    pub(super) fn set_e2generation(&mut self, file: &str, generation: i64) -> Result<()> {
        let g = (generation as u64).to_string();
        self.e2_program("chattr", &["-v", &g], file).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chattr_arguments_are_checked_as_1_48_checks_them() {
        assert_eq!(chattr_argument("", false).unwrap(), None);
        assert_eq!(
            chattr_argument("is", false).unwrap().as_deref(),
            Some("+is")
        );
        assert_eq!(chattr_argument("iS", true).unwrap().as_deref(), Some("-iS"));
        let err = |a: &str| chattr_argument(a, false).unwrap_err().message;
        assert_eq!(err("R"), "bad file attribute 'R'");
        assert_eq!(err("aa"), "duplicate file attribute 'a'");
        assert_eq!(err("BabcdB"), "duplicate file attribute 'B'");
        assert_eq!(err("a1"), "unknown file attribute '1'");
    }

    #[test]
    fn generations_read_as_c_reads_them() {
        assert_eq!(leading_integer("123456 ---- /sysroot/x\n"), Some(123456));
        assert_eq!(leading_integer("  0x10 x"), Some(16));
        assert_eq!(leading_integer("lsattr: x"), None);
    }
}

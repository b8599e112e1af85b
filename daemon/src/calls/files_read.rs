//! The reading calls of the files family: the grep family, head and tail, wc, strings,
//! hexdump, file and its kin, initrds, is_* tests, du, equal. Where 1.48's daemon runs a
//! program, so does this one (same program, same arguments, the guest file on its standard
//! input), so outputs and error texts are 1.48's.

use super::pipes::{finish, program, quote, shell, Finished};
use crate::daemon::Daemon;
use crate::sys::{errno, io_error, Chroot};
use guestfs_protocol::error::strerror;
use guestfs_protocol::{Error, GrepOpts, Result};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::process::Stdio;

/// The `file` types 1.48 reports without running `file` (RHBZ#582484).
fn kind_name(ft: std::fs::FileType) -> Option<&'static str> {
    Some(if ft.is_dir() {
        "directory"
    } else if ft.is_char_device() {
        "character device"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_symlink() {
        "symbolic link"
    } else if ft.is_socket() {
        "socket"
    } else {
        return None;
    })
}

/// The optional flags of 1.48's `grep`.
#[derive(Clone, Copy, Default)]
pub struct GrepFlags {
    pub extended: bool,
    pub fixed: bool,
    pub insensitive: bool,
    pub compressed: bool,
}

impl GrepFlags {
    /// The flags of one of the older calls, named after them: `[z][e|f]grep[i]`.
    pub fn named(call: &str) -> GrepFlags {
        let rest = call.strip_prefix('z').unwrap_or(call);
        GrepFlags {
            compressed: call.starts_with('z'),
            extended: rest.starts_with('e'),
            fixed: rest.starts_with('f'),
            insensitive: call.ends_with('i'),
        }
    }
}

impl From<&GrepOpts> for GrepFlags {
    fn from(opts: &GrepOpts) -> GrepFlags {
        GrepFlags {
            extended: opts.extended == Some(true),
            fixed: opts.fixed == Some(true),
            insensitive: opts.insensitive == Some(true),
            compressed: opts.compressed == Some(true),
        }
    }
}

impl Daemon {
    /// Opens a guest file for reading inside the chroot; Err(errno).
    fn open_guest(&self, path: &str) -> Result<std::result::Result<File, i32>> {
        let _c = Chroot::enter(&self.sysroot)?;
        Ok(File::open(path).map_err(|e| e.raw_os_error().unwrap_or(libc::EIO)))
    }

    /// Runs `argv` with the guest file `path` on its standard input; an unopenable file is
    /// `PREFIX: strerror` (the path itself when `prefix` is empty).
    fn run_on_file(&self, argv: &[&str], path: &str, prefix: &str) -> Result<Finished> {
        let f = self.open_guest(path)?.map_err(|e| {
            if prefix.is_empty() {
                Error::path(e, path)
            } else {
                Error::path(e, &format!("{}: {}", prefix, path))
            }
        })?;
        let mut cmd = program(argv[0]);
        cmd.args(&argv[1..]);
        finish(cmd, Stdio::from(f))
    }

    /// 1.48's `grep` with its flags (`grep` or `zgrep` with -E, -F, -i).
    pub fn grep_lines(&self, regex: &str, path: &str, flags: GrepFlags) -> Result<Vec<String>> {
        if flags.extended && flags.fixed {
            return Err(Error::msg(
                "can't use 'extended' and 'fixed' flags at the same time",
            ));
        }
        let mut argv = vec![if flags.compressed { "zgrep" } else { "grep" }];
        if flags.extended {
            argv.push("-E");
        }
        if flags.fixed {
            argv.push("-F");
        }
        if flags.insensitive {
            argv.push("-i");
        }
        argv.push(regex);
        let r = self.run_on_file(&argv, path, "")?;
        // grep's status 1 means "no match": an empty list, not an error.
        match r.status {
            Some(0) | Some(1) => Ok(r.stdout_lines()),
            _ => Err(Error::msg(format!("{}: {}", regex, r.stderr))),
        }
    }

    /// 1.48's `head`/`tail` calls: `PROG -n N` on the file.
    pub fn head_tail(&self, prog: &str, n: &str, path: &str) -> Result<Vec<String>> {
        let r = self.run_on_file(&[prog, "-n", n], path, "")?;
        if !r.ok() {
            return Err(Error::msg(format!("{} -n {}: {}", prog, n, r.stderr)));
        }
        Ok(r.stdout_lines())
    }

    /// 1.48's `wc_*` calls: `wc FLAG` on the file, its number.
    pub fn wc(&self, flag: &str, path: &str) -> Result<i32> {
        let r = self.run_on_file(&["wc", flag], path, &format!("wc {}", flag))?;
        if !r.ok() {
            return Err(Error::msg(format!("wc {}: {}", flag, r.stderr)));
        }
        let out = r.stdout_text();
        scan_int(&out)
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| Error::msg(format!("cannot parse number: {}", out)))
    }

    pub fn strings_lines(&self, encoding: &str, path: &str) -> Result<Vec<String>> {
        if encoding.len() != 1 || !"sSblBL".contains(encoding) {
            return Err(Error::msg(format!("{}: invalid encoding", encoding)));
        }
        let r = self.run_on_file(&["strings", "-a", "-e", encoding], path, "")?;
        if !r.ok() {
            return Err(Error::msg(format!("{}: {}", path, r.stderr)));
        }
        Ok(r.stdout_lines())
    }

    pub fn hexdump_text(&self, path: &str) -> Result<String> {
        let r = self.run_on_file(&["hexdump", "-C"], path, "")?;
        if !r.ok() {
            return Err(Error::msg(format!("{}: {}", path, r.stderr)));
        }
        Ok(r.stdout_text())
    }

    pub fn du_kb(&self, path: &str) -> Result<i64> {
        let mut cmd = program("du");
        cmd.arg("-s").arg(self.sysroot_path(path));
        let r = finish(cmd, Stdio::null())?;
        if !r.ok() {
            return Err(Error::msg(format!("{}: {}", path, r.stderr)));
        }
        let out = r.stdout_text();
        scan_int(&out)
            .ok_or_else(|| Error::msg(format!("{}: could not read output: {}", path, out)))
    }

    pub fn files_equal(&self, file1: &str, file2: &str) -> Result<bool> {
        let mut cmd = program("cmp");
        cmd.arg("-s")
            .arg(self.sysroot_path(file1))
            .arg(self.sysroot_path(file2));
        let r = finish(cmd, Stdio::null())?;
        match r.status {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(Error::msg(r.stderr)),
        }
    }

    /// 1.48's `file` (File.file): the kind of anything but a regular file, else `file -zSb`.
    pub fn file_type(&self, path: &str) -> Result<String> {
        if crate::devices::is_device_parameter(path) {
            return run_file(&["-zSbsL", path]);
        }
        let md = {
            let _c = Chroot::enter(&self.sysroot)?;
            std::fs::symlink_metadata(path)
        }
        .map_err(|e| io_error(&e, &format!("lstat: {}", path)))?;
        if let Some(kind) = kind_name(md.file_type()) {
            return Ok(kind.to_string());
        }
        run_file(&["-zSb", &self.sysroot_path(path)])
    }

    /// 1.48's `zfile`: `zcat PATH | file -bsL -`, its first line.
    pub fn zfile_type(&self, method: &str, path: &str) -> Result<String> {
        let zcat = match method {
            "gzip" | "compress" => "zcat",
            "bzip2" => "bzcat",
            _ => return Err(Error::msg("unknown method")),
        };
        let script = format!("{} {} | file -bsL -", zcat, quote(&self.sysroot_path(path)));
        let r = finish(shell(&script), Stdio::null())?;
        let out = r.stdout_text();
        if out.is_empty() {
            return Err(Error::new(errno(), format!("fgets: {}", strerror(errno()))));
        }
        // fgets into a 256-byte buffer: at most 255 bytes of the first line.
        let line = out.split_inclusive('\n').next().unwrap_or("");
        let mut end = line.len().min(255);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        let line = &line[..end];
        Ok(line.strip_suffix('\n').unwrap_or(line).to_string())
    }

    pub fn is_kind(&self, path: &str, follow: bool, kind: libc::mode_t) -> Result<bool> {
        let md = {
            let _c = Chroot::enter(&self.sysroot)?;
            if follow {
                std::fs::metadata(path)
            } else {
                std::fs::symlink_metadata(path)
            }
        };
        match md {
            Ok(md) => Ok(std::os::unix::fs::MetadataExt::mode(&md) & libc::S_IFMT == kind),
            Err(e) => match e.raw_os_error() {
                Some(libc::ENOENT) | Some(libc::ENOTDIR) => Ok(false),
                _ => Err(io_error(&e, &format!("stat: {}", path))),
            },
        }
    }

    pub fn file_is_zero(&self, path: &str) -> Result<bool> {
        let mut f = self
            .open_guest(path)?
            .map_err(|e| Error::path(e, &format!("open: {}", path)))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match f.read(&mut buf) {
                Ok(0) => return Ok(true),
                Ok(n) if buf[..n].iter().any(|&b| b != 0) => return Ok(false),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e, &format!("read: {}", path))),
            }
        }
    }

    /// 1.48's `llz`: `ls -laZ` of the real path of a directory.
    pub fn llz_listing(&self, path: &str) -> Result<String> {
        let real = {
            let _c = Chroot::enter(&self.sysroot)?;
            std::fs::canonicalize(path)
        }
        .map_err(|e| io_error(&e, path))?;
        // 1.48's appliance has no user database, so its `ls -laZ` shows numeric owners: -n
        // does the same here, where the appliance knows `root`.
        let mut cmd = program("ls");
        cmd.arg("-laZn")
            .arg(self.sysroot_path(&real.to_string_lossy()));
        let r = finish(cmd, Stdio::null())?;
        if !r.ok() {
            return Err(Error::msg(r.stderr));
        }
        Ok(r.stdout_text())
    }

    /// 1.48's `initrd_list`: `zcat PATH | cpio --quiet -it`.
    pub fn initrd_names(&self, path: &str) -> Result<Vec<String>> {
        let script = format!(
            "zcat {} | cpio --quiet -it",
            quote(&self.sysroot_path(path))
        );
        let mut cmd = shell(&script);
        // popen(3) leaves standard error to the daemon's own.
        cmd.stderr(Stdio::inherit());
        let r = finish(cmd, Stdio::null())?;
        if !r.ok() {
            return Err(Error::msg(format!(
                "pclose: command failed with return code {}",
                return_code(r.status)
            )));
        }
        // getline(3) in 1.48: every line, each a C string.
        let mut names: Vec<String> = r
            .stdout
            .split(|&b| b == b'\n')
            .map(|l| {
                let end = l.iter().position(|&b| b == 0).unwrap_or(l.len());
                String::from_utf8_lossy(&l[..end]).into_owned()
            })
            .collect();
        if r.stdout.ends_with(b"\n") || r.stdout.is_empty() {
            names.pop();
        }
        Ok(names)
    }

    /// 1.48's `initrd_cat`: one member extracted by `cpio -id` into a temporary directory.
    pub fn initrd_member(&self, path: &str, filename: &str) -> Result<Vec<u8>> {
        let tmp = TempDir::new("/tmp/initrd-cat")?;
        // --no-absolute-filenames: a hostile initrd cannot write outside the directory.
        let script = format!(
            "cd {} && zcat {} | cpio --quiet --no-absolute-filenames -id {}",
            quote(&tmp.0),
            quote(&self.sysroot_path(path)),
            quote(filename)
        );
        let mut cmd = shell(&script);
        cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
        let status = cmd
            .status()
            .map_err(|e| io_error(&e, &format!("command failed: {}", script)))?;
        if status.code() != Some(0) {
            let e = errno();
            return Err(Error::new(
                e,
                format!(
                    "command failed with return code {}: {}",
                    status.code().unwrap_or(0),
                    strerror(e)
                ),
            ));
        }
        let full = format!("{}/{}", tmp.0, filename);
        let shown = format!("{}:{}", path, filename);
        let mut f = File::open(&full).map_err(|e| io_error(&e, &format!("open: {}", shown)))?;
        let size = f
            .metadata()
            .map_err(|e| io_error(&e, &format!("fstat: {}", shown)))?
            .len();
        if size >= guestfs_protocol::MESSAGE_MAX as u64 {
            return Err(Error::msg(format!(
                "{}: file is too large for the protocol",
                shown
            )));
        }
        let mut data = Vec::with_capacity(size as usize);
        f.read_to_end(&mut data)
            .map_err(|e| io_error(&e, &format!("read: {}", shown)))?;
        Ok(data)
    }

    /// 1.48's `file_architecture` (Filearch.file_architecture).
    pub fn architecture(&self, path: &str) -> Result<String> {
        let magic = self.file_type(path)?;
        self.architecture_of_magic(&magic, path, &self.sysroot_path(path))
    }

    /// The architecture `magic` (file's output for `host_path`, named `path` in errors) says.
    fn architecture_of_magic(&self, magic: &str, path: &str, host_path: &str) -> Result<String> {
        if let Some((bits, endian, arch)) = parse_elf_magic(magic) {
            let bits: u32 = bits.parse().unwrap_or(0);
            return Ok(guestfs_inspect::inspect::arch::canonical_elf_arch(
                bits,
                endian == "MSB",
                arch,
            ));
        }
        if magic.contains("PE32 executable") {
            return Ok("i386".into());
        }
        if magic.contains("PE32+ executable") {
            return Ok("x86_64".into());
        }
        if magic.contains("cpio archive") {
            return self.cpio_arch(magic, path, host_path);
        }
        Err(Error::msg(format!("unknown architecture: {}", path)))
    }

    /// The architecture of an initrd: that of the first of a few well-known binaries in it.
    fn cpio_arch(&self, magic: &str, path: &str, host_path: &str) -> Result<String> {
        const BINARIES: &[&str] = &[
            "bin/ls",
            "bin/rm",
            "bin/modprobe",
            "sbin/modprobe",
            "bin/sh",
            "bin/bash",
            "bin/dash",
            "bin/nash",
        ];
        let zcat = if magic.contains("gzip") {
            "zcat"
        } else if magic.contains("bzip2") {
            "bzcat"
        } else if magic.contains("XZ compressed") {
            "xzcat"
        } else if magic.contains("Zstandard compressed") {
            "zstdcat"
        } else {
            "cat"
        };
        let tmp = TempDir::new("/tmp/filearch")?;
        let members: Vec<String> = BINARIES.iter().map(|b| quote(b)).collect();
        let script = format!(
            "cd {} && {} {} | cpio --quiet --no-absolute-filenames -id {}",
            quote(&tmp.0),
            zcat,
            quote(host_path),
            members.join(" ")
        );
        let mut cmd = shell(&script);
        cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
        match cmd.status() {
            Ok(s) if s.success() => {}
            _ => return Err(Error::msg("cpio command failed")),
        }
        for bin in BINARIES {
            let p = format!("{}/{}", tmp.0, bin);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
                let out = run_file(&["-zSb", &p])?;
                return self.architecture_of_magic(&out, &p, &p);
            }
        }
        Err(Error::msg(format!(
            "could not determine architecture of cpio archive: {}",
            path
        )))
    }
}

/// `file ARGS`, its output without trailing whitespace; failures as OCaml's `command`.
fn run_file(args: &[&str]) -> Result<String> {
    let out = crate::sys::ocaml_command("file", args, false)?;
    Ok(out.trim_end_matches([' ', '\t', '\n', '\r']).to_string())
}

/// sscanf's "%d": optional leading whitespace, a sign, digits.
fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let n: i64 = digits[..end].parse().ok()?;
    Some(if neg { -n } else { n })
}

/// The number 1.48 reports for a failed `pclose`: the exit status, or the raw wait status.
fn return_code(status: Option<i32>) -> i32 {
    status.unwrap_or(-1)
}

/// 1.48's ELF pattern on `file`'s output:
/// `ELF (\d+)-bit (MSB|LSB).*(?:executable|shared object|relocatable)(?:,)? ([^,]+?),`
/// → (bits, endianness, the machine).
fn parse_elf_magic(magic: &str) -> Option<(&str, &str, &str)> {
    for (at, _) in magic.match_indices("ELF ") {
        let rest = &magic[at + 4..];
        let nd = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if nd == 0 {
            continue;
        }
        let bits = &rest[..nd];
        let Some(rest) = rest[nd..].strip_prefix("-bit ") else {
            continue;
        };
        let endian = match rest.get(..3) {
            Some(e @ ("MSB" | "LSB")) => e,
            _ => continue,
        };
        let tail = &rest[3..];
        // `.*` is greedy: the last keyword after which the rest matches wins.
        let mut ends: Vec<usize> = ["executable", "shared object", "relocatable"]
            .iter()
            .flat_map(|k| tail.match_indices(k).map(move |(i, _)| i + k.len()))
            .collect();
        ends.sort_unstable();
        for &end in ends.iter().rev() {
            let after = &tail[end..];
            for skip in [after.strip_prefix(','), Some(after)].into_iter().flatten() {
                let Some(m) = skip.strip_prefix(' ') else {
                    continue;
                };
                if let Some(comma) = m.find(',') {
                    if comma > 0 {
                        return Some((bits, endian, &m[..comma]));
                    }
                }
            }
        }
    }
    None
}

/// A temporary directory in the appliance, removed with everything in it when dropped.
struct TempDir(String);

impl TempDir {
    fn new(prefix: &str) -> Result<TempDir> {
        let template = crate::sys::cstr(&format!("{}-XXXXXX", prefix))?;
        let mut bytes = template.into_bytes_with_nul();
        // SAFETY: a writable NUL-terminated template that mkdtemp fills in place.
        let p = unsafe { libc::mkdtemp(bytes.as_mut_ptr() as *mut libc::c_char) };
        if p.is_null() {
            return Err(crate::sys::perror("mkdtemp"));
        }
        bytes.pop();
        Ok(TempDir(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::pipes::split_lines;
    use guestfs_inspect::inspect::arch::canonical_elf_arch;

    #[test]
    fn elf_magic_as_1_48_reads_it() {
        let m = "ELF 64-bit LSB pie executable, x86-64, version 1 (SYSV), dynamically linked";
        assert_eq!(parse_elf_magic(m), Some(("64", "LSB", "x86-64")));
        let m = "ELF 32-bit MSB executable, PowerPC or cisco 4500, version 1 (SYSV), static";
        assert_eq!(
            parse_elf_magic(m),
            Some(("32", "MSB", "PowerPC or cisco 4500"))
        );
        let m = "ELF 64-bit LSB relocatable, ARM aarch64, version 1 (SYSV), not stripped";
        assert_eq!(
            canonical_elf_arch(64, false, parse_elf_magic(m).unwrap().2),
            "aarch64"
        );
        let m = "ELF 64-bit MSB executable, 64-bit PowerPC or cisco 7500, version 1";
        assert_eq!(
            canonical_elf_arch(64, true, parse_elf_magic(m).unwrap().2),
            "ppc64"
        );
        assert_eq!(parse_elf_magic("ASCII text"), None);
        assert_eq!(parse_elf_magic("ELF 64-bit LSB core file, x86-64"), None);
    }

    #[test]
    fn grep_variants_by_name() {
        let f = GrepFlags::named("zfgrepi");
        assert!(f.compressed && f.fixed && f.insensitive && !f.extended);
        let f = GrepFlags::named("egrep");
        assert!(f.extended && !f.fixed && !f.insensitive && !f.compressed);
        let f = GrepFlags::named("grepi");
        assert!(!f.extended && !f.fixed && f.insensitive && !f.compressed);
    }

    #[test]
    fn lines_as_split_lines() {
        assert!(split_lines("").is_empty());
        assert_eq!(split_lines("a\nb\n"), vec!["a", "b"]);
        assert_eq!(split_lines("a\n\nb"), vec!["a", "", "b"]);
        assert_eq!(scan_int("  42\t/x"), Some(42));
        assert_eq!(scan_int("x"), None);
    }
}

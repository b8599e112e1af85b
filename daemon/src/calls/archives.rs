//! Moving whole trees and streams in and out: tar, cpio, base64, checksums, compression,
//! rsync. As in 1.48 the work is done by the programs (GNU tar, cpio, base64, the coreutils
//! checksum programs, the compressors, rsync) with 1.48's arguments, so archives and error
//! texts are 1.48's; the data streams through pipes in protocol-sized chunks.
//!
//! Safety of `tar_in`: GNU tar, as run here, strips a leading `/` from member names, refuses
//! members whose names contain `..`, and extracts a symbolic link that points outside (absolute
//! or with `..`) only after every other member, so a member cannot be written through it.

use super::pipes::{feed, program, quote, shell, stream_out, Fed};
use crate::daemon::Daemon;
use crate::sys::{cstr, io_error, perror};
use guestfs_protocol::calls;
use guestfs_protocol::{
    CompressOutOpts, CpioOutOpts, Error, FileIn, Result, RsyncInOpts, RsyncOpts, RsyncOutOpts,
    TarInOpts, TarOutOpts,
};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;

/// tar's option for a `compress` optional argument.
fn tar_filter(compress: Option<&str>) -> Result<&'static str> {
    Ok(match compress {
        None => "",
        Some("compress") => " --compress",
        Some("gzip") => " --gzip",
        Some("bzip2") => " --bzip2",
        Some("xz") => " --xz",
        Some("lzop") => " --lzop",
        Some(other) => return Err(Error::msg(format!("unknown compression type: {}", other))),
    })
}

fn have_program(name: &str) -> bool {
    super::daemon::PROGRAM_PATH
        .iter()
        .any(|d| std::path::Path::new(d).join(name).is_file())
}

/// The command line of `compress_out` for `ctype` and `level` (-1: the program's default).
fn compress_filter(ctype: &str, level: i32) -> Result<String> {
    let levels = match ctype {
        "compress" => None,
        "gzip" | "bzip2" | "lzop" => Some(1..=9),
        "xz" => Some(0..=9),
        _ => return Err(Error::msg("unknown compression type")),
    };
    if !have_program(ctype) {
        // The words "not supported" are part of the API.
        return Err(Error::new(
            libc::ENOTSUP,
            format!(
                "compression type {} is not supported, because external program '{}' is not available in the appliance",
                ctype, ctype
            ),
        ));
    }
    match levels {
        _ if level == -1 => Ok(format!("{} -c", ctype)),
        None => Err(Error::msg(
            "compress: cannot use optional level parameter with this compression type",
        )),
        Some(r) if r.contains(&level) => Ok(format!("{} -c -{}", ctype, level)),
        Some(_) => Err(Error::msg(format!(
            "{}: incorrect value for level parameter",
            ctype
        ))),
    }
}

/// The checksum program for `csumtype` (case-insensitive, as in 1.48).
fn checksum_program(csumtype: &str) -> Result<&'static str> {
    Ok(match csumtype.to_ascii_lowercase().as_str() {
        "crc" => "cksum",
        "md5" => "md5sum",
        "sha1" => "sha1sum",
        "sha224" => "sha224sum",
        "sha256" => "sha256sum",
        "sha384" => "sha384sum",
        "sha512" => "sha512sum",
        _ => {
            return Err(Error::msg(
                "unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512",
            ))
        }
    })
}

/// A file in the appliance's /tmp, removed when dropped.
struct TempFile(String);

impl TempFile {
    /// mkstemp(3) on `/tmp/PREFIXXXXXXX`, with `content`.
    fn new(prefix: &str, content: &[u8]) -> Result<TempFile> {
        let mut template = cstr(&format!("/tmp/{}XXXXXX", prefix))?.into_bytes_with_nul();
        // SAFETY: a writable NUL-terminated template that mkstemp fills in place.
        let fd = unsafe { libc::mkstemp(template.as_mut_ptr() as *mut libc::c_char) };
        if fd == -1 {
            return Err(perror("mkstemp"));
        }
        template.pop();
        let t = TempFile(String::from_utf8_lossy(&template).into_owned());
        // SAFETY: fd was just created and is owned by nothing else.
        let mut f = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        f.write_all(content).map_err(|e| io_error(&e, "write"))?;
        Ok(t)
    }

    /// Its content, without one trailing newline (1.48's `read_error_file`).
    fn error_text(&self) -> String {
        match std::fs::read(&self.0) {
            Ok(b) => {
                let s = String::from_utf8_lossy(&b).into_owned();
                s.strip_suffix('\n').map(str::to_string).unwrap_or(s)
            }
            Err(_) => "(no error)".to_string(),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Daemon {
    /// The appliance path of a guest directory that must exist and be a directory, with
    /// 1.48's errors (`stat_prefix` before the path in the stat error).
    fn existing_dir(&self, dir: &str, stat_prefix: &str) -> Result<String> {
        let path = self.sysroot_path(dir);
        let md = std::fs::metadata(guestfs_protocol::lossless::os_str_of(&path))
            .map_err(|e| io_error(&e, &format!("{}{}", stat_prefix, dir)))?;
        if !md.is_dir() {
            return Err(Error::msg(format!("{}: not a directory", dir)));
        }
        Ok(path)
    }

    /// 1.48's `is_chown_supported`: whether the filesystem of `dir` keeps file owners, tried
    /// on a randomly named file created there.
    fn chown_supported(&self, dir: &str) -> Result<bool> {
        let mut name = String::from("XXXXXXXX.XXX");
        random_name(&mut name);
        let path = format!("{}{}/{}", self.sysroot, dir, name);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .mode(0o666)
            .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| io_error(&e, dir))?;
        // SAFETY: a valid descriptor.
        let r = unsafe { libc::fchown(std::os::fd::AsRawFd::as_raw_fd(&f), 1000, 1000) };
        let e = crate::sys::errno();
        drop(f);
        let _ = std::fs::remove_file(&path);
        match r {
            0 => Ok(true),
            _ if e == libc::EPERM => Ok(false),
            _ => Err(Error::path(e, "unexpected error in fchown")),
        }
    }

    /// 1.48's `tar_in`.
    fn untar(&mut self, file: &mut FileIn<'_>, dir: &str, opts: &TarInOpts) -> Result<()> {
        let chown_supported = self.chown_supported(dir)?;
        let filter = tar_filter(opts.compress.as_deref())?;
        let errors = TempFile::new("tar", b"")?;
        let script = format!(
            "tar -C {}{} -xf - {}{}{}{}2> {}",
            quote(&self.sysroot_path(dir)),
            filter,
            if chown_supported {
                ""
            } else {
                "--no-same-owner "
            },
            // --xattrs-include='*' works around a tar bug (RHBZ#771927).
            if opts.xattrs == Some(true) {
                "--xattrs --xattrs-include='*' "
            } else {
                ""
            },
            if opts.selinux == Some(true) {
                "--selinux "
            } else {
                ""
            },
            if opts.acls == Some(true) {
                "--acls "
            } else {
                ""
            },
            quote(&errors.0)
        );
        match feed(shell(&script), file, dir)? {
            Fed::Done => Ok(()),
            Fed::WriteError => Err(Error::msg(format!(
                "write error on directory: {}: {}",
                dir,
                errors.error_text()
            ))),
            Fed::Failed => Err(Error::msg(format!(
                "tar subcommand failed on directory: {}: {}",
                dir,
                errors.error_text()
            ))),
        }
    }

    /// 1.48's `tar_out`.
    fn tar(&mut self, dir: &str, out: &mut dyn Write, opts: &TarOutOpts) -> Result<()> {
        let filter = tar_filter(opts.compress.as_deref())?;
        let excludes = match &opts.excludes {
            Some(patterns) => {
                if patterns.iter().any(|p| p.contains('\n')) {
                    return Err(Error::msg(
                        "tar-out: excludes file patterns cannot contain \\n character",
                    ));
                }
                let text: String = patterns.iter().map(|p| format!("{}\n", p)).collect();
                Some(TempFile::new("excludes", text.as_bytes())?)
            }
            None => None,
        };
        let path = self.existing_dir(dir, "stat: ")?;
        let script = format!(
            "tar -C {}{}{}{}{}{}{} -cf - .",
            quote(&path),
            filter,
            if opts.numericowner == Some(true) {
                " --numeric-owner"
            } else {
                ""
            },
            excludes
                .as_ref()
                .map(|f| format!(" -X {}", quote(&f.0)))
                .unwrap_or_default(),
            if opts.xattrs == Some(true) {
                " --xattrs"
            } else {
                ""
            },
            if opts.selinux == Some(true) {
                " --selinux"
            } else {
                ""
            },
            if opts.acls == Some(true) {
                " --acls"
            } else {
                ""
            },
        );
        stream_out(shell(&script), out, dir)
    }
}

/// 1.48's `random_name`: each X of the last path element becomes one of [0-9a-z].
fn random_name(template: &mut String) {
    let mut bytes = [0u8; 64];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut i = 0;
    *template = template
        .chars()
        .map(|c| {
            if c == 'X' {
                i += 1;
                alphabet[bytes[i % bytes.len()] as usize % 36] as char
            } else {
                c
            }
        })
        .collect();
}

/// `rsync [--archive] [--delete] SRC DEST`; errors name the paths as the caller gave them.
fn rsync(src: (&str, &str), dest: (&str, &str), archive: bool, delete: bool) -> Result<()> {
    let mut cmd = program("rsync");
    if archive {
        cmd.arg("--archive");
    }
    if delete {
        cmd.arg("--delete");
    }
    cmd.arg(src.0).arg(dest.0);
    let r = super::pipes::finish(cmd, std::process::Stdio::null())?;
    if !r.ok() {
        return Err(Error::msg(format!(
            "'{}' to '{}': {}",
            src.1, dest.1, r.stderr
        )));
    }
    Ok(())
}

impl calls::Archives for Daemon {
    fn base64_in(&mut self, base64file: &mut FileIn<'_>, filename: &str) -> Result<()> {
        let script = format!("base64 -d -i > {}", quote(&self.sysroot_path(filename)));
        match feed(shell(&script), base64file, filename)? {
            Fed::Done => Ok(()),
            Fed::WriteError => Err(Error::msg(format!("write error on file: {}", filename))),
            Fed::Failed => Err(Error::msg(format!(
                "base64 subcommand failed on file: {}",
                filename
            ))),
        }
    }

    fn base64_out(&mut self, filename: &str, base64file: &mut dyn Write) -> Result<()> {
        let path = self.sysroot_path(filename);
        let md =
            std::fs::metadata(&path).map_err(|e| io_error(&e, &format!("stat: {}", filename)))?;
        if md.is_dir() {
            return Err(Error::msg(format!("{}: is a directory", filename)));
        }
        stream_out(
            shell(&format!("base64 {}", quote(&path))),
            base64file,
            filename,
        )
    }

    fn checksums_out(
        &mut self,
        csumtype: &str,
        directory: &str,
        sumsfile: &mut dyn Write,
    ) -> Result<()> {
        let prog = checksum_program(csumtype)?;
        let path = self.existing_dir(directory, "")?;
        let script = format!(
            "cd {} && find -type f -print0 | xargs -0 {}",
            quote(&path),
            prog
        );
        stream_out(shell(&script), sumsfile, directory)
    }

    fn compress_out(
        &mut self,
        ctype: &str,
        file: &str,
        zfile: &mut dyn Write,
        opts: &CompressOutOpts,
    ) -> Result<()> {
        let filter = compress_filter(ctype, opts.level.unwrap_or(-1))?;
        let script = format!("{} {}", filter, quote(&self.sysroot_path(file)));
        stream_out(shell(&script), zfile, file)
    }

    fn cpio_out(
        &mut self,
        directory: &str,
        cpiofile: &mut dyn Write,
        opts: &CpioOutOpts,
    ) -> Result<()> {
        let path = self.existing_dir(directory, "stat: ")?;
        let format = opts.format.as_deref().unwrap_or("newc");
        if format != "newc" && format != "crc" {
            return Err(Error::msg(format!(
                "{}: format must be 'newc' or 'crc'",
                format
            )));
        }
        let script = format!(
            "cd {} && find -print0 | cpio -0 -o -H {} --quiet",
            quote(&path),
            format
        );
        stream_out(shell(&script), cpiofile, directory)
    }

    fn rsync(&mut self, src: &str, dest: &str, opts: &RsyncOpts) -> Result<()> {
        let (s, d) = (self.sysroot_path(src), self.sysroot_path(dest));
        rsync(
            (&s, src),
            (&d, dest),
            opts.archive == Some(true),
            opts.deletedest == Some(true),
        )
    }

    fn rsync_in(&mut self, remote: &str, dest: &str, opts: &RsyncInOpts) -> Result<()> {
        let d = self.sysroot_path(dest);
        rsync(
            (remote, remote),
            (&d, dest),
            opts.archive == Some(true),
            opts.deletedest == Some(true),
        )
    }

    fn rsync_out(&mut self, src: &str, remote: &str, opts: &RsyncOutOpts) -> Result<()> {
        let s = self.sysroot_path(src);
        rsync(
            (&s, src),
            (remote, remote),
            opts.archive == Some(true),
            opts.deletedest == Some(true),
        )
    }

    fn tar_in(
        &mut self,
        tarfile: &mut FileIn<'_>,
        directory: &str,
        opts: &TarInOpts,
    ) -> Result<()> {
        self.untar(tarfile, directory, opts)
    }

    fn tar_out(
        &mut self,
        directory: &str,
        tarfile: &mut dyn Write,
        opts: &TarOutOpts,
    ) -> Result<()> {
        self.tar(directory, tarfile, opts)
    }

    fn tgz_in(&mut self, tarball: &mut FileIn<'_>, directory: &str) -> Result<()> {
        let opts = TarInOpts {
            compress: Some("gzip".into()),
            ..Default::default()
        };
        self.untar(tarball, directory, &opts)
    }

    fn tgz_out(&mut self, directory: &str, tarball: &mut dyn Write) -> Result<()> {
        let opts = TarOutOpts {
            compress: Some("gzip".into()),
            ..Default::default()
        };
        self.tar(directory, tarball, &opts)
    }

    fn txz_in(&mut self, tarball: &mut FileIn<'_>, directory: &str) -> Result<()> {
        let opts = TarInOpts {
            compress: Some("xz".into()),
            ..Default::default()
        };
        self.untar(tarball, directory, &opts)
    }

    fn txz_out(&mut self, directory: &str, tarball: &mut dyn Write) -> Result<()> {
        let opts = TarOutOpts {
            compress: Some("xz".into()),
            ..Default::default()
        };
        self.tar(directory, tarball, &opts)
    }
}

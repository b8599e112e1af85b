//! The `debug` call's subcommands (1.48's daemon/debug.c and debug-bmap.c): internals of the
//! appliance for tests and debugging, with 1.48's names, outputs and errors.

use crate::daemon::Daemon;
use crate::sys::{self, command, perror, Outcome};
use guestfs_protocol::{Error, Result};
use std::io::Read;
use std::os::unix::fs::MetadataExt;

type Subcommand = fn(&mut Daemon, &[String]) -> Result<String>;

/// The subcommands, in 1.48's order (which `help` lists).
const SUBCOMMANDS: &[(&str, Subcommand)] = &[
    ("help", help),
    ("binaries", binaries),
    ("bmap", bmap),
    ("bmap_device", bmap_device),
    ("bmap_file", bmap_file),
    ("core_pattern", core_pattern),
    ("device_speed", device_speed),
    ("env", env),
    ("error", error),
    ("fds", fds),
    ("ldd", ldd),
    ("ls", ls),
    ("ll", ll),
    ("print", print),
    ("progress", progress),
    ("qtrace", qtrace),
    ("segv", segv),
    ("setenv", setenv),
    ("sh", sh),
    ("spew", spew),
];

pub fn debug(d: &mut Daemon, subcmd: &str, args: &[String]) -> Result<String> {
    match SUBCOMMANDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(subcmd))
    {
        Some((_, f)) => f(d, args),
        None => Err(Error::msg(
            "use 'debug help 0' to list the supported commands",
        )),
    }
}

fn help(_: &mut Daemon, _: &[String]) -> Result<String> {
    let mut s = String::from("Commands supported:");
    for (name, _) in SUBCOMMANDS {
        s.push(' ');
        s.push_str(name);
    }
    Ok(s)
}

/// A program's standard output, or the error `WHAT: ITS ERROR OUTPUT`.
fn run(program: &str, args: &[&str], what: &str) -> Result<String> {
    match command(program, args, false)? {
        Outcome::Success(out) => Ok(out),
        Outcome::Failure(err) => Err(Error::msg(format!("{}: {}", what, err))),
    }
}

/// The ELF executables (type ET_EXEC, which `file -i` calls application/x-executable) on the
/// appliance's root filesystem, one path per line: 1.48 finds them with find, file and gawk.
fn binaries(_: &mut Daemon, _: &[String]) -> Result<String> {
    fn is_executable_elf(path: &std::path::Path) -> bool {
        let mut head = [0u8; 18];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
            && head[..4] == *b"\x7fELF"
            && u16::from_le_bytes([head[16], head[17]]) == 2
    }
    fn walk(dir: &std::path::Path, dev: u64, out: &mut String, depth: usize) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let path = e.path();
            let Ok(md) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if md.is_dir() && md.dev() == dev && depth < 64 {
                walk(&path, dev, out, depth + 1);
            } else if md.is_file() && md.mode() & 0o111 != 0 && is_executable_elf(&path) {
                out.push_str(&path.to_string_lossy());
                out.push('\n');
            }
        }
    }
    let root = std::fs::metadata("/").map_err(|e| sys::io_error(&e, "find"))?;
    let mut out = String::new();
    walk(std::path::Path::new("/"), root.dev(), &mut out, 0);
    Ok(out)
}

/// What `bmap_file` or `bmap_device` opened for the next `bmap`.
pub enum BmapTarget {
    File(std::fs::File),
    Dir(std::path::PathBuf),
}

fn bmap_prepare(d: &mut Daemon, path: &str, shown: &str) -> Result<String> {
    d.bmap = None;
    let md = std::fs::metadata(path).map_err(|e| sys::io_error(&e, shown))?;
    d.bmap = Some(if md.is_dir() {
        std::fs::read_dir(path).map_err(|e| sys::io_error(&e, &format!("opendir: {}", shown)))?;
        BmapTarget::Dir(path.into())
    } else {
        let f = std::fs::File::open(path).map_err(|e| sys::io_error(&e, shown))?;
        BmapTarget::File(f)
    });
    Ok("ok".into())
}

fn bmap_file(d: &mut Daemon, args: &[String]) -> Result<String> {
    let [path] = args else {
        return Err(Error::msg("bmap-file: missing path"));
    };
    let at = d.sysroot_path(path);
    bmap_prepare(d, &at, path)
}

/// The appliance's name of a device argument (1.48's appliance names drives as the library
/// does; this one may not, see [`crate::devices`]).
fn kernel_name(device: &str) -> String {
    crate::devices::to_kernel(device).unwrap_or_else(|_| device.to_string())
}

fn bmap_device(d: &mut Daemon, args: &[String]) -> Result<String> {
    let [device] = args else {
        return Err(Error::msg("bmap-device: missing device"));
    };
    bmap_prepare(d, &kernel_name(device), device)
}

/// Reads what `bmap_file`/`bmap_device` opened, after dropping the caches (so that the
/// reads reach the disk, where a trace sees them).
fn bmap(d: &mut Daemon, args: &[String]) -> Result<String> {
    if !args.is_empty() {
        return Err(Error::msg("bmap: extra parameters on command line"));
    }
    drop_caches(3)?;
    match d.bmap.take() {
        Some(BmapTarget::File(mut f)) => {
            let mut buf = vec![0u8; 8192];
            loop {
                match f.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(sys::io_error(&e, "read")),
                }
            }
        }
        Some(BmapTarget::Dir(p)) => {
            let rd = std::fs::read_dir(&p).map_err(|e| sys::io_error(&e, "readdir"))?;
            for e in rd {
                e.map_err(|e| sys::io_error(&e, "readdir"))?;
            }
        }
        None => {}
    }
    Ok("ok".into())
}

fn core_pattern(_: &mut Daemon, args: &[String]) -> Result<String> {
    let Some(pattern) = args.first() else {
        return Err(Error::msg("core_pattern: expecting a core pattern"));
    };
    const FILE: &str = "/proc/sys/kernel/core_pattern";
    std::fs::write(FILE, pattern).map_err(|e| sys::io_error(&e, &format!("write: {}", FILE)))?;
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: a valid rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &unlimited) } == -1 {
        return Err(perror("setrlimit (RLIMIT_CORE)"));
    }
    Ok("ok".into())
}

/// Reads or writes a device for some seconds; the number of bytes moved.
fn device_speed(_: &mut Daemon, args: &[String]) -> Result<String> {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    let bad = || Error::msg("device_speed <device> <r|w> <secs>");
    let [device, mode, secs] = args else {
        return Err(bad());
    };
    let device = &kernel_name(device);
    let writing = match mode.as_str() {
        "r" | "read" => false,
        "w" | "write" => true,
        _ => return Err(bad()),
    };
    let secs: u32 = secs.trim().parse().map_err(|_| bad())?;
    const BUFSIZ: u64 = 8192;
    let size = std::fs::File::open(device)
        .and_then(|mut f| std::io::Seek::seek(&mut f, std::io::SeekFrom::End(0)))
        .map_err(|e| sys::io_error(&e, device))?;
    if size < BUFSIZ {
        return Err(Error::msg(format!("{}: device is too small", device)));
    }
    let f = std::fs::OpenOptions::new()
        .read(!writing)
        .write(writing)
        .custom_flags(libc::O_DIRECT | libc::O_CLOEXEC)
        .open(device)
        .map_err(|e| sys::io_error(&e, &format!("open: {}", device)))?;
    // O_DIRECT wants an aligned buffer: a 4096-aligned window of a larger one.
    let mut raw = vec![100u8; (BUFSIZ + 4096) as usize];
    let off = raw.as_ptr().align_offset(4096);
    let buf = &mut raw[off..off + BUFSIZ as usize];
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs.into());
    let (mut position, mut copied) = (0u64, 0u64);
    while std::time::Instant::now() <= end {
        if size - position < BUFSIZ {
            position = 0;
        }
        let n = if writing {
            f.write_at(buf, position)
                .map_err(|e| sys::io_error(&e, &format!("write: {}", device)))?
        } else {
            match f.read_at(buf, position) {
                Ok(0) => return Err(Error::msg("unexpected end of file while reading")),
                Ok(n) => n,
                Err(e) => return Err(sys::io_error(&e, &format!("read: {}", device))),
            }
        };
        position += BUFSIZ;
        copied += n as u64;
    }
    Ok(copied.to_string())
}

fn env(_: &mut Daemon, _: &[String]) -> Result<String> {
    run("printenv", &[], "printenv")
}

/// An error of the given length ('a's), with errno EROFS so a test can tell it apart.
fn error(_: &mut Daemon, args: &[String]) -> Result<String> {
    let usage = || Error::msg("debug error: expecting one arg: length of error message");
    let [len] = args else {
        return Err(usage());
    };
    let len: u32 = scan_unsigned(len).ok_or_else(usage)?;
    if len > 1_000_000 {
        return Err(Error::msg("debug error: length argument too large"));
    }
    Err(Error::new(libc::EROFS, "a".repeat(len as usize)))
}

/// A leading unsigned number as scanf's `%u` reads it (blanks, digits, the rest ignored).
fn scan_unsigned<T: std::str::FromStr>(s: &str) -> Option<T> {
    let s = s.trim_start();
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s[..end].parse().ok()
}

/// The daemon's open file descriptors and what they are.
fn fds(_: &mut Daemon, _: &[String]) -> Result<String> {
    let rd = std::fs::read_dir("/proc/self/fd")
        .map_err(|e| sys::io_error(&e, "opendir: /proc/self/fd"))?;
    let mut out = String::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let md = std::fs::symlink_metadata(&path)
            .map_err(|e| sys::io_error(&e, &format!("stat: {}", path.display())))?;
        if md.file_type().is_symlink() {
            let target = std::fs::read_link(&path)
                .map_err(|e| sys::io_error(&e, &format!("readline: {}", path.display())))?;
            out.push_str(&format!("{:>2} {}\n", name, target.display()));
        } else {
            out.push_str(&format!("{:>2} 0{:o}\n", name, md.mode()));
        }
    }
    Ok(out)
}

/// `ldd -r FILE` (the dynamic loader's trace, as ldd runs it): standard output then error.
fn ldd(_: &mut Daemon, args: &[String]) -> Result<String> {
    let [file] = args else {
        return Err(Error::msg("ldd: no file argument"));
    };
    let out = sys::program("/lib64/ld-linux-x86-64.so.2")
        .arg(file)
        .env("LD_TRACE_LOADED_OBJECTS", "1")
        .env("LD_WARN", "yes")
        .env("LD_BIND_NOW", "yes")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| sys::io_error(&e, "ldd"))?;
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    if !out.status.success() {
        return Err(Error::msg(format!(
            "ldd: {}: {}",
            file,
            se.trim_end_matches('\n')
        )));
    }
    Ok(format!("{}{}", so, se))
}

fn list(args: &[String], flags: &str, what: &str) -> Result<String> {
    let mut v = vec![flags];
    v.extend(args.iter().map(String::as_str));
    run("ls", &v, what)
}

fn ls(_: &mut Daemon, args: &[String]) -> Result<String> {
    list(args, "-a", "ls")
}

fn ll(_: &mut Daemon, args: &[String]) -> Result<String> {
    list(args, "-la", "ll")
}

/// Prints the arguments on the console (the appliance's log).
fn print(_: &mut Daemon, args: &[String]) -> Result<String> {
    eprintln!("{}", args.join(" "));
    Ok("ok".into())
}

/// Progress messages for `secs` seconds (every tenth of a second, or every `rate` µs).
fn progress(d: &mut Daemon, args: &[String]) -> Result<String> {
    let usage = || {
        Error::msg("progress: expecting one or more args: time in seconds [, rate in microseconds]")
    };
    let secs: u64 = args
        .first()
        .and_then(|a| scan_unsigned(a))
        .ok_or_else(usage)?;
    if secs == 0 || secs > 1_000_000 {
        return Err(Error::msg(
            "progress: argument is 0, less than 0, or too large",
        ));
    }
    let rate: u64 = match args.get(1) {
        None => 0,
        Some(a) => scan_unsigned(a).ok_or_else(usage)?,
    };
    if args.len() >= 2 && (rate == 0 || rate > 1_000_000) {
        return Err(Error::msg("progress: rate is 0 or too large"));
    }
    if rate == 0 {
        let tenths = secs * 10;
        for i in 1..=tenths {
            std::thread::sleep(std::time::Duration::from_millis(100));
            d.progress.notify(i, tenths);
        }
    } else {
        let usecs = secs * 1_000_000;
        let mut i = rate;
        while i <= usecs {
            std::thread::sleep(std::time::Duration::from_micros(rate));
            d.progress.notify_now(i, usecs);
            i += rate;
        }
    }
    Ok("ok".into())
}

/// Reads the sector patterns that switch a patched qemu's tracing on or off.
fn qtrace(_: &mut Daemon, args: &[String]) -> Result<String> {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    let bad = || Error::msg("qtrace <device> <on|off>");
    let [device, state] = args else {
        return Err(bad());
    };
    let device = &kernel_name(device);
    let sectors: &[u64] = match state.as_str() {
        "on" => &[2, 21, 15, 2],
        "off" => &[2, 15, 21, 2],
        _ => return Err(bad()),
    };
    drop_caches(3)?;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT | libc::O_CLOEXEC)
        .open(device)
        .map_err(|e| sys::io_error(&e, &format!("qtrace: {}: open", device)))?;
    let mut raw = vec![0u8; 1024];
    let off = raw.as_ptr().align_offset(512);
    for s in sectors {
        f.read_at(&mut raw[off..off + 512], s * 512)
            .map_err(|e| sys::io_error(&e, &format!("qtrace: {}: read", device)))?;
    }
    drop_caches(3)?;
    Ok("ok".into())
}

/// Crashes the daemon (the appliance then ends, as with 1.48).
fn segv(_: &mut Daemon, _: &[String]) -> Result<String> {
    std::process::abort()
}

fn setenv(_: &mut Daemon, args: &[String]) -> Result<String> {
    let [name, value] = args else {
        return Err(Error::msg("setenv: two arguments expected"));
    };
    if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
        return Err(Error::new(libc::EINVAL, "setenv: Invalid argument"));
    }
    std::env::set_var(name, value);
    Ok("ok".into())
}

/// The appliance's /bin/sh (not the guest's, not chrooted) on the arguments joined by
/// spaces; its standard output and error together.
fn sh(d: &mut Daemon, args: &[String]) -> Result<String> {
    if args.is_empty() {
        return Err(Error::msg("sh: expecting a command to run"));
    }
    std::env::set_var("root", &d.sysroot);
    if let Some(prefix) = ["sd", "hd", "ubd", "vd"]
        .iter()
        .find(|p| std::path::Path::new(&format!("/sys/block/{}a", p)).exists())
    {
        std::env::set_var("sd", prefix);
    }
    // 1.48 answers with the folded error buffer, whose trailing newlines it strips.
    match command("/bin/sh", &["-c", &args.join(" ")], true)? {
        Outcome::Success(out) => Ok(out.trim_end_matches('\n').to_string()),
        Outcome::Failure(err) => Err(Error::msg(err)),
    }
}

/// `n` lines of 72 characters on the console.
fn spew(_: &mut Daemon, args: &[String]) -> Result<String> {
    let [n] = args else {
        return Err(Error::msg("spew: expecting number of lines <n>"));
    };
    let n: usize = scan_unsigned(n)
        .ok_or_else(|| Error::msg(format!("spew: could not parse number of lines '{}'", n)))?;
    let line = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890123456789\n";
    let mut err = std::io::stderr().lock();
    for _ in 0..n {
        let _ = std::io::Write::write_all(&mut err, line.as_bytes());
    }
    Ok("ok".into())
}

/// Flushes everything to the disks and drops the kernel's caches (`what`: 1 page cache,
/// 2 dentries and inodes, 3 both).
pub fn drop_caches(what: i32) -> Result<()> {
    // SAFETY: sync has no arguments.
    unsafe { libc::sync() };
    const FILE: &str = "/proc/sys/vm/drop_caches";
    std::fs::write(FILE, what.to_string()).map_err(|e| sys::io_error(&e, FILE))
}

//! libguestfs-test-tool: checks the appliance works here, as 1.48's does. Prints the
//! environment and the handle's settings, boots the appliance on a scratch disk with the
//! library's debug messages on (they go to stderr), partitions, formats and mounts that disk,
//! creates a file, and ends with `===== TEST FINISHED OK =====` (exit 0); any failure prints the
//! library's error and exits 1.

use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::{Arg, ArgAction, Command};
use guestfs::{AddDriveScratchOpts, Handle, MkfsOpts};

/// 1.48's launch timeout when `-t` is not given, in seconds.
const DEFAULT_TIMEOUT: u32 = 600;
/// The scratch disk the check partitions and formats (1.48's size).
const SCRATCH_SIZE: i64 = 100 * 1024 * 1024;
/// The environment variables shown, by prefix, in the environment's own order.
const SHOWN_PREFIXES: [&str; 5] = ["LIBGUESTFS_", "SUPERMIN_", "LIBVIRT_", "LIBVIRTD_", "LD_"];

const HELP: &str = "libguestfs-test-tool: interactive test tool
Copyright (C) 2009-2020 Red Hat Inc.
Usage:
  libguestfs-test-tool [--options]
Options:
  --help         Display usage
  --qemudir dir  Specify QEMU source directory
  --qemu qemu    Specify QEMU binary
  --timeout n
  -t n           Set launch timeout (default: 600 seconds)
  --version
  -V             Display libguestfs version and exit
";

pub static SPEC: ToolSpec = ToolSpec {
    name: "libguestfs-test-tool",
    description: "interactive test tool",
    copyright: "Copyright (C) 2009-2020 Red Hat Inc.",
    usage: &["{prog} [--options]"],
    tables: GetoptTables {
        short: "t:V?",
        long: &["help", "qemu", "qemudir", "timeout", "version"],
    },
    version: LIBGUESTFS_VERSION,
    features: &[],
    perl_style: false,
    help_text: Some(HELP),
    man: include_str!("../../man/src/libguestfs-test-tool.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("libguestfs-test-tool")
        .about("interactive test tool")
        .arg(args::help().short('?').help("Display usage"))
        .arg(
            Arg::new("qemudir")
                .long("qemudir")
                .action(ArgAction::Append)
                .value_name("dir")
                .help("Specify QEMU source directory"),
        )
        .arg(
            Arg::new("qemu")
                .long("qemu")
                .action(ArgAction::Append)
                .value_name("qemu")
                .help("Specify QEMU binary"),
        )
        .arg(
            Arg::new("timeout")
                .short('t')
                .long("timeout")
                .action(ArgAction::Append)
                .value_name("n")
                .help("Set launch timeout (default: 600 seconds)"),
        )
        .arg(args::version().help("Display libguestfs version and exit"))
        .arg(
            Arg::new("long-options")
                .long("long-options")
                .action(ArgAction::SetTrue)
                .hide(true),
        )
        .arg(
            Arg::new("short-options")
                .long("short-options")
                .action(ArgAction::SetTrue)
                .hide(true),
        )
        // Accepted here so that the tool, not the parser, refuses them with 1.48's words.
        .arg(Arg::new("extra").num_args(0..).hide(true))
}

/// The hypervisor the check boots: `--qemu` names the binary, `--qemudir` a qemu source tree
/// (run through a wrapper script, as 1.48 does). The last of the two given wins.
enum Hypervisor {
    Binary(String),
    SourceTree(String),
}

fn run(ctx: &mut Ctx) -> i32 {
    let mut timeout = DEFAULT_TIMEOUT;
    if let Some(t) = ctx.value("timeout") {
        match scan_int(&t) {
            Some(n) if n >= 0 => timeout = n as u32,
            _ => return ctx.fail(&format!("invalid timeout: {}", t)),
        }
    }
    if !ctx.operands.is_empty() {
        return ctx.fail("extra arguments on the command line");
    }
    let last_index = |id: &str| ctx.matches.indices_of(id).and_then(|mut i| i.next_back());
    let hypervisor = match (last_index("qemu"), last_index("qemudir")) {
        (Some(q), d) if d.is_none_or(|d| q > d) => ctx.value("qemu").map(Hypervisor::Binary),
        (_, Some(_)) => ctx.value("qemudir").map(Hypervisor::SourceTree),
        _ => None,
    };

    println!("     ************************************************************");
    println!("     *                    IMPORTANT NOTICE");
    println!("     *");
    println!("     * When reporting bugs, include the COMPLETE, UNEDITED");
    println!("     * output below in your bug report.");
    println!("     *");
    println!("     ************************************************************");

    let mut g = Handle::new_no_environment();
    if g.parse_environment().is_err() {
        return ctx.fail(
            "failed parsing environment variables.\nCheck earlier messages, and the output of the ‘printenv’ command.",
        );
    }
    let _ = g.set_verbose(true);
    // This tool checks the appliance: the native backend has nothing to boot.
    if matches!(g.get_backend().as_deref(), Ok("auto") | Ok("native")) {
        let _ = g.set_backend("direct");
    }
    let _wrapper = match hypervisor.map(|h| use_hypervisor(&mut g, h)).transpose() {
        Ok(w) => w,
        Err(msg) => return ctx.fail(&msg),
    };

    print_environment();
    print!("SELinux: ");
    flush_stdout();
    // getenforce writes to stderr where it exists and sh complains where it does not; either
    // way the line is what 1.48 shows.
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg("getenforce")
        .status();

    if let Err(e) = g.add_drive_scratch(SCRATCH_SIZE, AddDriveScratchOpts::default()) {
        return library_failure(&e.message);
    }
    print_settings(&mut g);
    println!("host_cpu: {}", std::env::consts::ARCH);

    println!("Launching appliance, timeout set to {} seconds.", timeout);
    flush_stdout();
    // SAFETY: alarm only arms a timer; its default action ends the process, as in 1.48.
    unsafe { libc::alarm(timeout) };
    if let Err(e) = g.launch() {
        return library_failure(&e.message);
    }
    unsafe { libc::alarm(0) };
    println!("Guest launched OK.");
    flush_stdout();

    let check = g
        .part_disk("/dev/sda", "mbr")
        .and_then(|_| g.mkfs("ext2", "/dev/sda1", MkfsOpts::default()))
        .and_then(|_| g.mount("/dev/sda1", "/"))
        .and_then(|_| g.touch("/hello"))
        .and_then(|_| g.shutdown());
    if let Err(e) = check {
        return library_failure(&e.message);
    }
    drop(g);
    println!("===== TEST FINISHED OK =====");
    0
}

/// A failed library call: its error as libguestfs's default handler prints it, and exit 1.
fn library_failure(message: &str) -> i32 {
    flush_stdout();
    eprintln!("libguestfs: error: {}", message);
    1
}

fn flush_stdout() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// C's `sscanf("%d")`: leading blanks, a sign, digits, anything after them ignored.
fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (sign, digits) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let n: i64 = digits[..end].parse().ok()?;
    i32::try_from(sign * n).ok().map(i64::from)
}

/// The variables that may bear on the check, then TMPDIR, PATH and XDG_RUNTIME_DIR.
fn print_environment() {
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::new();
    for (k, v) in std::env::vars_os() {
        if SHOWN_PREFIXES
            .iter()
            .any(|p| k.as_bytes().starts_with(p.as_bytes()))
        {
            out.extend_from_slice(k.as_bytes());
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
            out.push(b'\n');
        }
    }
    for k in ["TMPDIR", "PATH", "XDG_RUNTIME_DIR"] {
        if let Some(v) = std::env::var_os(k) {
            out.extend_from_slice(k.as_bytes());
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
            out.push(b'\n');
        }
    }
    use std::io::Write;
    let _ = std::io::stdout().write_all(&out);
}

fn print_settings(g: &mut Handle) {
    let opt = |v: guestfs::Result<Option<String>>| {
        v.ok().flatten().unwrap_or_else(|| "(null)".to_string())
    };
    let flag = |v: guestfs::Result<bool>| i32::from(v.unwrap_or(false));
    println!("guestfs_get_append: {}", opt(g.get_append()));
    println!("guestfs_get_autosync: {}", flag(g.get_autosync()));
    println!("guestfs_get_backend: {}", opt(g.get_backend().map(Some)));
    println!(
        "guestfs_get_backend_settings: [{}]",
        g.get_backend_settings().unwrap_or_default().join(", ")
    );
    println!("guestfs_get_cachedir: {}", opt(g.get_cachedir().map(Some)));
    println!("guestfs_get_hv: {}", opt(g.get_hv().map(Some)));
    println!("guestfs_get_memsize: {}", g.get_memsize().unwrap_or(0));
    println!("guestfs_get_network: {}", flag(g.get_network()));
    println!("guestfs_get_path: {}", opt(g.get_path().map(Some)));
    println!("guestfs_get_pgroup: {}", flag(g.get_pgroup()));
    println!("guestfs_get_program: {}", opt(g.get_program().map(Some)));
    println!("guestfs_get_recovery_proc: {}", flag(g.get_recovery_proc()));
    println!("guestfs_get_smp: {}", g.get_smp().unwrap_or(0));
    println!("guestfs_get_sockdir: {}", opt(g.get_sockdir().map(Some)));
    println!("guestfs_get_tmpdir: {}", opt(g.get_tmpdir().map(Some)));
    println!("guestfs_get_trace: {}", flag(g.get_trace()));
    println!("guestfs_get_verbose: {}", flag(g.get_verbose()));
}

/// A wrapper script removed when dropped.
struct Wrapper(std::path::PathBuf);

impl Drop for Wrapper {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Points the handle at `--qemu`'s binary, or at a wrapper running a qemu source tree's
/// binary with its firmware (`--qemudir`); refused when the environment already chose one.
fn use_hypervisor(g: &mut Handle, h: Hypervisor) -> Result<Option<Wrapper>, String> {
    if std::env::var_os("LIBGUESTFS_QEMU").is_some() || std::env::var_os("LIBGUESTFS_HV").is_some()
    {
        return Err("LIBGUESTFS_HV/LIBGUESTFS_QEMU environment variable is already set, so\n--qemu/--qemudir options cannot be used.".into());
    }
    match h {
        Hypervisor::Binary(path) => {
            let c = std::ffi::CString::new(path.as_bytes()).map_err(|e| e.to_string())?;
            // SAFETY: access reads a NUL-terminated path.
            if unsafe { libc::access(c.as_ptr(), libc::X_OK) } == -1 {
                let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                return Err(format!(
                    "binary ‘{}’ does not exist or is not executable: {}",
                    path,
                    guestfs::error::strerror(errno)
                ));
            }
            g.set_hv(&path).map_err(|e| e.message)?;
            Ok(None)
        }
        Hypervisor::SourceTree(dir) => {
            let bios = std::path::Path::new(&dir).join("pc-bios");
            match std::fs::metadata(&bios) {
                Ok(m) if m.is_dir() => {}
                other => {
                    let errno = other
                        .err()
                        .and_then(|e| e.raw_os_error())
                        .unwrap_or(libc::ENOTDIR);
                    return Err(format!(
                        "path does not look like a qemu source directory: {}: {}",
                        dir,
                        guestfs::error::strerror(errno)
                    ));
                }
            }
            let wrapper = write_wrapper(&dir)?;
            g.set_hv(&wrapper.0.to_string_lossy())
                .map_err(|e| e.message)?;
            Ok(Some(wrapper))
        }
    }
}

/// 1.48's wrapper: the source tree's qemu-system binary for this architecture, with `-L` at
/// its firmware.
fn write_wrapper(qemudir: &str) -> Result<Wrapper, String> {
    use std::io::Write;
    use std::os::unix::io::FromRawFd;
    let mut template = *b"/tmp/libguestfs-test-tool-wrapper-XXXXXX\0";
    // SAFETY: mkstemp fills in the X's of a writable NUL-terminated template.
    let fd = unsafe { libc::mkstemp(template.as_mut_ptr().cast()) };
    let path = std::path::PathBuf::from(
        String::from_utf8_lossy(&template[..template.len() - 1]).into_owned(),
    );
    if fd == -1 {
        return Err(format!(
            "mkstemp: {}: {}",
            path.display(),
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: fd was just opened by mkstemp and is owned here.
    let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
    let wrapper = Wrapper(path);
    let arch = std::env::consts::ARCH;
    let script = format!(
        "#!/bin/sh -\nhost_cpu={arch}\nqemudir='{qemudir}'\ncase $host_cpu in\n    amd64*)\n          qemu=\"$qemudir/$host_cpu-softmmu/qemu-system-x86_64\"\n          ;;\n    arm*) qemu=\"$qemudir/$host_cpu-softmmu/qemu-system-arm\"\n          ;;\n    powerpc64|ppc64le|powerpc64le)\n          qemu=\"$qemudir/$host_cpu-softmmu/qemu-system-ppc64\"\n          ;;\n    *)    qemu=\"$qemudir/$host_cpu-softmmu/qemu-system-$host_cpu\"\n          ;;\nesac\nexec \"$qemu\" -L \"$qemudir/pc-bios\" \"$@\"\n"
    );
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o700))
        .and_then(|_| f.write_all(script.as_bytes()))
        .map_err(|e| format!("{}: {}", wrapper.0.display(), crate::common::os_error(&e)))?;
    Ok(wrapper)
}

#[cfg(test)]
mod tests {
    use super::scan_int;

    #[test]
    fn timeouts_scan_as_c_does() {
        assert_eq!(scan_int("30"), Some(30));
        assert_eq!(scan_int(" 30s"), Some(30));
        assert_eq!(scan_int("-1"), Some(-1));
        assert_eq!(scan_int("x"), None);
        assert_eq!(scan_int("99999999999"), None);
    }
}

//! guestmount: mount a guest's filesystems on the host through FUSE (`mount_local`), read-only
//! or read-write, then serve the mount in the background until `guestunmount`.

use crate::common::args::{flag, value};
use crate::common::c_numbers::{atoi, scan_int};
use crate::common::daemon::{self, Forked};
use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::{Arg, Command};
use guestfs::MountLocalOpts;

const HELP: &str = "{prog}: FUSE module for libguestfs
{prog} lets you mount a virtual machine filesystem
Copyright (C) 2009-2020 Red Hat Inc.
Usage:
  {prog} [--options] mountpoint
Options:
  -a|--add image       Add image
  --blocksize[=512|4096]
                       Set sector size of the disk for -a option
  -c|--connect uri     Specify libvirt URI for -d option
  --dir-cache-timeout  Set readdir cache timeout (default 5 sec)
  -d|--domain guest    Add disks from libvirt guest
  --echo-keys          Don't turn off echo for passphrases
  --fd=FD              Write to pipe FD when mountpoint is ready
  --format[=raw|..]    Force disk format for -a option
  --fuse-help          Display extra FUSE options
  -i|--inspector       Automatically mount filesystems
  --help               Display help message and exit
  --key selector       Specify a LUKS key
  --keys-from-stdin    Read passphrases from stdin
  -m|--mount dev[:mnt[:opts[:fstype]] Mount dev on mnt (if omitted, /)
  --no-fork            Don't daemonize
  -n|--no-sync         Don't autosync
  -o|--option opt      Pass extra option to FUSE
  --pid-file filename  Write PID to filename
  -r|--ro              Mount read-only
  --selinux            For backwards compat only, does nothing
  -v|--verbose         Verbose messages
  -V|--version         Display version and exit
  -w|--rw              Mount read-write
  -x|--trace           Trace guestfs API calls
  --machine-readable[=format]
                       Make output machine readable
";

/// `--fuse-help`: the FUSE options `-o` takes here (libfuse 2's layout, on stderr).
const FUSE_HELP: &str = "usage: {prog} mountpoint [options]

FUSE options:
    -o allow_other         allow access to other users
    -o allow_root          allow access to root
    -o nonempty            allow mounts over non-empty file/dir
    -o default_permissions enable permission checking by kernel
    -o fsname=NAME         set filesystem name
    -o subtype=NAME        set filesystem type
    -o max_read=N          set maximum size of read requests
    -o blksize=N           set block size
    -o direct_io           use direct I/O
    -o kernel_cache        cache files in kernel
    -o umask=M             set file permissions (octal)
    -o uid=N               set file owner
    -o gid=N               set file group
    -o entry_timeout=T     cache timeout for names (1.0s)
    -o negative_timeout=T  cache timeout for deleted names (0.0s)
    -o attr_timeout=T      cache timeout for attributes (1.0s)
    -o ro, rw, dev, nodev, suid, nosuid, exec, noexec, atime, noatime,
       sync, async, dirsync  kernel mount flags
";

pub static SPEC: ToolSpec = ToolSpec {
    name: "guestmount",
    description: "FUSE module for libguestfs",
    copyright: "Copyright (C) 2009-2020 Red Hat Inc.",
    usage: &["{prog} [--options] mountpoint"],
    tables: GetoptTables {
        short: "a:c:d:im:no:rvVwx",
        long: &[
            "add",
            "blocksize",
            "connect",
            "dir-cache-timeout",
            "domain",
            "echo-keys",
            "fd",
            "format",
            "fuse-help",
            "help",
            "inspector",
            "key",
            "keys-from-stdin",
            "live",
            "long-options",
            "mount",
            "no-fork",
            "no-sync",
            "option",
            "pid-file",
            "ro",
            "rw",
            "selinux",
            "short-options",
            "trace",
            "verbose",
            "version",
        ],
    },
    version: LIBGUESTFS_VERSION,
    features: &["json-mounted-record"],
    perl_style: false,
    help_text: Some(HELP),
    man: include_str!("../../man/src/guestmount.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("guestmount")
        .about(SPEC.description)
        .arg(args::add())
        .arg(args::blocksize())
        .arg(args::connect())
        .arg(
            value("dir-cache-timeout", "seconds")
                .long("dir-cache-timeout")
                .help("Set readdir cache timeout (default 5 sec)"),
        )
        .arg(args::domain())
        .arg(args::echo_keys())
        .arg(
            value("fd", "FD")
                .long("fd")
                .help("Write to pipe FD when mountpoint is ready"),
        )
        .arg(args::format())
        .arg(
            flag("fuse-help")
                .long("fuse-help")
                .help("Display extra FUSE options"),
        )
        .arg(args::help())
        .arg(
            flag("inspector")
                .short('i')
                .long("inspector")
                .help("Automatically mount filesystems"),
        )
        .arg(args::key())
        .arg(args::keys_from_stdin())
        .arg(flag("live").long("live").hide(true))
        .arg(args::mount())
        .arg(flag("no-fork").long("no-fork").help("Don't daemonize"))
        .arg(
            flag("no-sync")
                .short('n')
                .long("no-sync")
                .help("Don't autosync"),
        )
        .arg(
            value("option", "opt")
                .short('o')
                .long("option")
                .help("Pass extra option to FUSE"),
        )
        .arg(
            value("pid-file", "filename")
                .long("pid-file")
                .help("Write PID to filename"),
        )
        .arg(flag("ro").short('r').long("ro").help("Mount read-only"))
        .arg(flag("rw").short('w').long("rw").help("Mount read-write"))
        .arg(
            flag("selinux")
                .long("selinux")
                .help("For backwards compat only, does nothing"),
        )
        .arg(args::verbose())
        .arg(args::version())
        .arg(args::trace().long("trace").help("Trace guestfs API calls"))
        .arg(
            Arg::new("mountpoint")
                .num_args(0..)
                .value_name("mountpoint"),
        )
        .args(args::added())
}

/// The `-o` options as one FUSE option string: each value with its commas and backslashes
/// escaped (so one `-o` is one option, as libfuse's `fuse_opt_add_opt_escaped` made it).
fn fuse_options(values: &[String]) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let escaped: Vec<String> = values
        .iter()
        .map(|v| v.replace('\\', "\\\\").replace(',', "\\,"))
        .collect();
    Some(escaped.join(","))
}

/// `--pid-file`: the pid, one line.
fn write_pid_file(path: &str, pid: u32) -> Result<(), ()> {
    std::fs::write(path, format!("{}\n", pid)).map_err(|e| {
        eprintln!("{}: {}", path, crate::common::os_error(&e));
    })
}

/// `--fd`: one zero byte to the descriptor, then it is closed.
fn write_ready_fd(fd: i32) -> Result<(), ()> {
    let byte = [0u8];
    // SAFETY: the descriptor is the caller's, named by --fd; one byte is written from a
    // valid buffer and the descriptor is closed, as 1.48 does.
    let written = unsafe { libc::write(fd, byte.as_ptr().cast(), 1) };
    if written != 1 {
        let e = std::io::Error::last_os_error();
        eprintln!("write (--fd option): {}", crate::common::os_error(&e));
        return Err(());
    }
    // SAFETY: as above.
    if unsafe { libc::close(fd) } == -1 {
        let e = std::io::Error::last_os_error();
        eprintln!("close (--fd option): {}", crate::common::os_error(&e));
        return Err(());
    }
    Ok(())
}

/// What the caller learns once the mount is ready: the pid file, the `--fd` byte, and the
/// machine-readable record.
fn announce(ctx: &Ctx, pid: u32, mountpoint: &str) -> Result<(), ()> {
    if let Some(path) = ctx.value("pid-file") {
        write_pid_file(&path, pid)?;
    }
    if let Some(fd) = ctx.value("fd").and_then(|v| scan_int(&v)) {
        write_ready_fd(fd as i32)?;
    }
    ctx.record(
        Record::new("mounted")
            .field("mountpoint", mountpoint)
            .field("pid", pid as u64),
    );
    Ok(())
}

fn run(ctx: &mut Ctx) -> i32 {
    if ctx.flag("live") {
        return ctx.fail("libguestfs live support was removed in libguestfs 1.48");
    }
    if let Some(fd) = ctx.value("fd") {
        if scan_int(&fd).is_none_or(|n| n < 0 || n > i32::MAX as i64) {
            return ctx.fail(&format!("unable to parse --fd option value: {}", fd));
        }
    }
    if ctx.flag("fuse-help") {
        eprint!("{}", FUSE_HELP.replace("{prog}", &ctx.prog));
        return 0;
    }
    // -w after -r is refused; -r after -w wins.
    let given = |id: &str| ctx.flag(id).then(|| ctx.matches.indices_of(id)).flatten();
    let first_ro = given("ro").and_then(|mut i| i.next());
    let last_rw = given("rw").and_then(|mut i| i.next_back());
    if let (Some(ro), Some(rw)) = (first_ro, last_rw) {
        if rw > ro {
            return ctx.fail("cannot mix --ro and --rw options");
        }
    }
    let readonly = first_ro.is_some();
    if let Err(code) = ctx.require_drives() {
        return code;
    }
    if ctx.mounts.is_empty() && !ctx.flag("inspector") {
        eprintln!(
            "{}: error: you must specify either -i at least one -m option.",
            ctx.prog
        );
        return ctx.try_help();
    }
    if ctx.operands.len() != 1 {
        return ctx.fail("you must specify a mountpoint in the host filesystem");
    }
    let mountpoint = ctx.operands[0].clone();
    // -x traces every FUSE request too, in the foreground.
    let foreground = ctx.flag("no-fork") || ctx.trace;

    let ready = if foreground {
        None
    } else {
        match daemon::fork() {
            Ok(Forked::Parent { child, failed }) => {
                return match failed {
                    Some(status) => status,
                    None => match announce(ctx, child as u32, &mountpoint) {
                        Ok(()) => 0,
                        Err(()) => 1,
                    },
                };
            }
            Ok(Forked::Child(ready)) => Some(ready),
            Err(e) => return ctx.fail(&format!("fork: {}", crate::common::os_error(&e))),
        }
    };

    let mut g = match ctx.launch(readonly) {
        Ok(g) => g,
        Err(code) => return code,
    };
    if ctx.flag("inspector") {
        if let Err(code) = ctx.inspect_and_mount(&mut g, readonly) {
            return code;
        }
    }
    if let Err(code) = ctx.mount_specs(&mut g, readonly) {
        return code;
    }
    if ctx.flag("no-sync") && g.set_autosync(false).is_err() {
        return 1;
    }
    // Modes of new files are the caller's, already masked by the host kernel (a read-only
    // mount makes none, and the native backend that may serve it has no umask).
    if !readonly && g.umask(0).is_err() {
        return 1;
    }
    let cachetimeout = ctx
        .value("dir-cache-timeout")
        .map(|v| atoi(&v))
        .filter(|&t| t > 0)
        .map(|t| t.min(i32::MAX as i64) as i32);
    let opts = MountLocalOpts {
        readonly: readonly.then_some(true),
        options: fuse_options(&ctx.values("option")),
        cachetimeout,
        debugcalls: ctx.trace.then_some(true),
    };
    if g.mount_local(&mountpoint, opts).is_err() {
        return 1;
    }
    match ready {
        Some(ready) => ready.detach(),
        None => {
            if announce(ctx, std::process::id(), &mountpoint).is_err() {
                return 1;
            }
        }
    }
    // From here the requests' failures are the callers' errno values, not messages.
    g.push_error_handler_quiet();
    let served = g.mount_local_run();
    g.pop_error_handler();
    let stopped = g.shutdown();
    drop(g);
    if let Some(path) = ctx.value("pid-file") {
        let _ = std::fs::remove_file(path);
    }
    if served.is_ok() && stopped.is_ok() {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_option_stays_one_fuse_option() {
        assert_eq!(fuse_options(&[]), None);
        assert_eq!(
            fuse_options(&["allow_other".into(), r"a,b\c".into()]).as_deref(),
            Some(r"allow_other,a\,b\\c")
        );
    }
}

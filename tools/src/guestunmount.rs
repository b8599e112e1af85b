//! guestunmount: take down a guestmount (or any FUSE) mount, trying again while it is busy;
//! with `--fd`, first wait for the other end of a pipe to close.

use crate::common::c_numbers::scan_int;
use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::{Arg, ArgAction, Command};
use guestfs::library::fuse::unmount::{self, UnmountError, UnmountStep};

const HELP: &str = "{prog}: clean up a mounted filesystem
Copyright (C) 2013 Red Hat Inc.
Usage:
  {prog} [--fd=FD] mountpoint
Options:
  --fd=FD              Pipe file descriptor to monitor
  --help               Display help message and exit
  -q|--quiet           Don't print fusermount errors
  --no-retry           Don't retry fusermount
  --retry=N            Retry fusermount N times (default: 5)
  -v|--verbose         Verbose messages
  -V|--version         Display version and exit
  --machine-readable[=format]
                       Make output machine readable
";

/// Tries after the first, by default and at most (1.48's).
const DEFAULT_RETRIES: u32 = 5;
const RETRIES_LIMIT: u64 = 64;

/// Exit statuses: the mount stayed (busy), or was not there.
const EXIT_FAILED: i32 = 2;
const EXIT_NOT_MOUNTED: i32 = 3;

pub static SPEC: ToolSpec = ToolSpec {
    name: "guestunmount",
    description: "clean up a mounted filesystem",
    copyright: "Copyright (C) 2013 Red Hat Inc.",
    usage: &["{prog} [--fd=FD] mountpoint"],
    tables: GetoptTables {
        short: "qvV",
        long: &[
            "fd",
            "help",
            "quiet",
            "long-options",
            "no-retry",
            "retry",
            "short-options",
            "verbose",
            "version",
        ],
    },
    version: LIBGUESTFS_VERSION,
    features: &["json-unmounted-record"],
    perl_style: false,
    help_text: Some(HELP),
    man: include_str!("../../man/src/guestunmount.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("guestunmount")
        .about(SPEC.description)
        .arg(
            Arg::new("fd")
                .long("fd")
                .action(ArgAction::Append)
                .value_name("FD")
                .help("Pipe file descriptor to monitor"),
        )
        .arg(args::help().help("Display help message and exit"))
        .arg(
            Arg::new("quiet")
                .short('q')
                .long("quiet")
                .action(ArgAction::SetTrue)
                .help("Don't print fusermount errors"),
        )
        .arg(
            Arg::new("no-retry")
                .long("no-retry")
                .action(ArgAction::SetTrue)
                .help("Don't retry fusermount"),
        )
        .arg(
            Arg::new("retry")
                .long("retry")
                .action(ArgAction::Append)
                .value_name("N")
                .help("Retry fusermount N times (default: 5)"),
        )
        .arg(args::verbose())
        // Not the shared `version` id: 1.48's guestunmount names its package in `-V`.
        .arg(
            Arg::new("print-version")
                .short('V')
                .long("version")
                .action(ArgAction::SetTrue)
                .help("Display version and exit"),
        )
        .arg(
            Arg::new("mountpoint")
                .num_args(0..)
                .value_name("mountpoint"),
        )
        .args(args::added())
}

/// Waits until the other end of the pipe `fd` is closed (POLLHUP), ignoring ^C and ^\.
fn wait_for_hangup(fd: i32) -> Result<(), std::io::Error> {
    // SAFETY: chdir and signal change this process's own state; poll reads one pollfd.
    unsafe {
        libc::chdir(c"/".as_ptr());
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
    loop {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: as above.
        if unsafe { libc::poll(&mut p, 1, -1) } == -1 {
            let e = std::io::Error::last_os_error();
            if !matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) {
                return Err(e);
            }
        } else if p.revents & libc::POLLHUP != 0 {
            return Ok(());
        }
    }
}

fn run(ctx: &mut Ctx) -> i32 {
    if ctx.flag("print-version") {
        println!("{} libguestfs {}", ctx.prog, SPEC.version);
        return 0;
    }
    let fd = match ctx.value("fd") {
        Some(v) => match scan_int(&v).filter(|&n| (0..=i32::MAX as i64).contains(&n)) {
            Some(n) => Some(n as i32),
            None => return ctx.fail(&format!("cannot parse fd option ‘{}’", v)),
        },
        None => None,
    };
    // --no-retry and --retry=N: the last one given counts.
    let mut retries = DEFAULT_RETRIES;
    let last = |id| ctx.matches.indices_of(id).and_then(|mut i| i.next_back());
    if let Some(v) = ctx.value("retry") {
        match scan_int(&v).filter(|&n| (0..RETRIES_LIMIT as i64).contains(&n)) {
            Some(n) => retries = n as u32,
            None => {
                return ctx.fail(&format!(
                    "cannot parse retries option or value is too large ‘{}’",
                    v
                ))
            }
        }
    }
    if ctx.flag("no-retry") && last("no-retry") > last("retry") {
        retries = 0;
    }
    if ctx.operands.len() != 1 {
        // 1.48's message has a newline of its own before error()'s.
        return ctx.fail("you must specify a mountpoint in the host filesystem\n");
    }
    let mountpoint = ctx.operands[0].clone();
    let quiet = ctx.flag("quiet");
    let verbose = ctx.verbose;
    if let Some(fd) = fd {
        if let Err(e) = wait_for_hangup(fd) {
            return ctx.fail(&format!("poll: {}", crate::common::os_error(&e)));
        }
    }
    let prog = ctx.prog.clone();
    let mut log = |step: UnmountStep| {
        if !verbose {
            return;
        }
        match step {
            UnmountStep::Running(command) => eprintln!("{}: running: {}", prog, command),
            UnmountStep::Succeeded => eprintln!("{}: fusermount successful", prog),
            UnmountStep::Failed(msg) => eprintln!("{}", msg),
        }
    };
    match unmount::unmount(&mountpoint, retries, &mut log) {
        Ok(()) => {
            ctx.record(Record::new("unmounted").field("mountpoint", mountpoint.as_str()));
            0
        }
        Err(UnmountError::Failed(msg)) => {
            if !quiet {
                ctx.fail(&format!("failed to unmount {}: {}", mountpoint, msg));
                // Who keeps the mount busy (fuser's own output).
                let _ = std::process::Command::new("fuser")
                    .args(["-v", "-m", &mountpoint])
                    .status();
            }
            EXIT_FAILED
        }
        Err(UnmountError::NotMounted(msg)) => {
            if !quiet {
                ctx.fail(&format!("{} is not mounted: {}", mountpoint, msg));
            }
            EXIT_NOT_MOUNTED
        }
    }
}

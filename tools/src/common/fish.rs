//! The guestfish command line, as the guestfish wrapper tools take it: 1.48's wrappers exec
//! `guestfish --ro -i COMMAND "$@"` (virt-copy-out, virt-tar-out) or `guestfish --rw -i
//! COMMAND "$@"` (virt-copy-in, virt-tar-in), so their options are guestfish's.

use super::args;
use super::getopt::GetoptTables;
use super::Ctx;
use crate::common::args::flag;
use clap::{Arg, ArgAction, Command};

/// guestfish 1.48's getopt tables.
pub const TABLES: GetoptTables = GetoptTables {
    short: "a:c:d:Df:h::im:nN:rvVwx",
    long: &[
        "add",
        "blocksize",
        "cmd-help",
        "connect",
        "csh",
        "domain",
        "echo-keys",
        "file",
        "format",
        "help",
        "inspector",
        "key",
        "keys-from-stdin",
        "listen",
        "live",
        "long-options",
        "mount",
        "network",
        "new",
        "no-dest-paths",
        "no-sync",
        "pipe-error",
        "progress-bars",
        "no-progress-bars",
        "remote",
        "ro",
        "rw",
        "selinux",
        "short-options",
        "verbose",
        "version",
    ],
};

/// guestfish options a one-command read-only wrapper accepts, as 1.48's `guestfish --ro -i`
/// does, but that change nothing there (or are refused by [`check_options`]): left out of its
/// `--help` and man page.
const NO_EFFECT_IN_WRAPPERS: [&str; 16] = [
    "cmd-help",
    "csh",
    "no-dest-paths",
    "file",
    "listen",
    "live",
    "network",
    "new",
    "no-sync",
    "pipe-error",
    "progress-bars",
    "no-progress-bars",
    "remote",
    "ro",
    "rw",
    "selinux",
];

/// guestfish's options, for a wrapper named `name` (with this project's `--machine-readable`).
pub fn command(name: &'static str) -> Command {
    let mut cmd = shell_command(name).args(
        args::added()
            .into_iter()
            .filter(|a| a.get_id() == "machine-readable"),
    );
    for id in NO_EFFECT_IN_WRAPPERS {
        cmd = cmd.mut_arg(id, |a| a.hide(true));
    }
    cmd
}

/// guestfish's own options: 1.48's, and the bash-completion listings.
pub fn shell_command(name: &'static str) -> Command {
    Command::new(name)
        .arg(args::add())
        .arg(args::blocksize())
        .arg(
            Arg::new("cmd-help")
                .short('h')
                .long("cmd-help")
                .action(ArgAction::Append)
                .num_args(0..=1)
                .require_equals(true),
        )
        .arg(args::connect())
        .arg(flag("csh").long("csh"))
        .arg(args::domain())
        .arg(flag("no-dest-paths").long("no-dest-paths"))
        // `-D` is a separate option (the deprecated spelling), not the short form of
        // `--no-dest-paths`: glibc tells long options apart by their short letter.
        .arg(flag("D").short('D').hide(true))
        .arg(args::echo_keys())
        .arg(
            Arg::new("file")
                .short('f')
                .long("file")
                .action(ArgAction::Append),
        )
        .arg(args::format())
        .arg(args::help())
        .arg(
            flag("inspector")
                .short('i')
                .long("inspector")
                .help("Inspect the disk and mount the guest's filesystems"),
        )
        .arg(args::key())
        .arg(args::keys_from_stdin())
        .arg(flag("listen").long("listen"))
        .arg(flag("live").long("live"))
        .arg(args::mount())
        .arg(flag("network").long("network"))
        .arg(
            Arg::new("new")
                .short('N')
                .long("new")
                .action(ArgAction::Append),
        )
        .arg(flag("no-sync").short('n').long("no-sync"))
        .arg(flag("pipe-error").long("pipe-error"))
        .arg(flag("progress-bars").long("progress-bars"))
        .arg(flag("no-progress-bars").long("no-progress-bars"))
        .arg(
            Arg::new("remote")
                .long("remote")
                .action(ArgAction::Append)
                .num_args(0..=1)
                .require_equals(true),
        )
        .arg(flag("ro").short('r').long("ro"))
        .arg(flag("rw").short('w').long("rw"))
        .arg(flag("selinux").long("selinux"))
        .arg(args::verbose())
        .arg(args::version())
        .arg(args::trace())
        .args(
            args::added()
                .into_iter()
                .filter(|a| a.get_id() != "machine-readable"),
        )
        .arg(Arg::new("words").num_args(0..))
}

/// How a wrapper opens the guest: the `--ro` or `--rw` its 1.48 script passes to guestfish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

/// Refuses the guestfish options that have no meaning for a one-command wrapper.
pub fn check_options(ctx: &Ctx, access: Access) -> Result<(), i32> {
    if ctx.flag("live") {
        eprintln!(
            "{}: libguestfs live support was removed in libguestfs 1.48",
            ctx.prog
        );
        return Err(1);
    }
    // 1.48's wrapper passes --ro itself, so its guestfish says "cannot mix --ro and --rw
    // options" to a user who never typed --ro.
    if access == Access::ReadOnly && ctx.flag("rw") {
        eprintln!(
            "{}: --rw cannot be used: {} opens the guest read-only",
            ctx.prog, ctx.prog
        );
        return Err(1);
    }
    // 1.48's guestfish takes a later --ro over the wrapper's --rw and then fails to write.
    if access == Access::ReadWrite && ctx.flag("ro") {
        eprintln!(
            "{}: --ro cannot be used: {} writes to the guest",
            ctx.prog, ctx.prog
        );
        return Err(1);
    }
    for (id, what) in [
        ("listen", "--listen"),
        ("remote", "--remote"),
        ("file", "-f"),
        ("new", "-N"),
        ("network", "--network"),
        ("cmd-help", "-h"),
    ] {
        let given = ctx.flag(id) || !ctx.values(id).is_empty();
        if given {
            return Err(ctx.error(&format!(
                "the guestfish option {} cannot be used with {}",
                what, ctx.prog
            )));
        }
    }
    Ok(())
}

/// `--help` runs the man page, as the 1.48 wrapper scripts do; without `man` it prints the
/// usage.
pub fn help(prog: &str, usage: &str) -> i32 {
    let status = std::process::Command::new("man").arg(prog).status();
    match status {
        Ok(s) if s.success() => 0,
        _ => {
            print!("{}", usage);
            0
        }
    }
}

/// The start of every wrapper run: `--help`, the options that make no sense here, the
/// drives, and the command's operands (at least `min_operands`, else guestfish's usage
/// error for `command`, whose usage line is `usage`).
pub fn check_command(
    ctx: &Ctx,
    access: Access,
    help_text: &str,
    command: &str,
    usage: &str,
    min_operands: usize,
) -> Result<(), i32> {
    if ctx.flag("help") {
        return Err(help(&ctx.prog, help_text));
    }
    check_options(ctx, access)?;
    ctx.require_drives()?;
    if ctx.operands.len() < min_operands {
        eprintln!("{}: error: incorrect number of arguments", ctx.prog);
        eprintln!("usage: {}", usage);
        eprintln!("type 'help {}' for more help on {}", command, command);
        return Err(1);
    }
    Ok(())
}

/// Launches the appliance or native reader and mounts the guest like `guestfish --ro -i`.
/// From then on, as in guestfish running its command-line command with standard input not a
/// terminal, library errors carry guestfish's input position: `*stdin*:0: libguestfs: error:`.
pub fn launch_and_mount(ctx: &Ctx) -> Result<guestfs::Handle, i32> {
    let mut g = ctx.launch(true)?;
    ctx.mount_guest_for_fish(&mut g)?;
    if !stdin_is_terminal() {
        g.set_error_handler(Box::new(|msg: &str| report_library_error(msg)));
    }
    Ok(g)
}

/// Like [`launch_and_mount`] for a wrapper that writes (`guestfish --rw -i`): the drives are
/// added read-write but the guest is mounted read-only until
/// [`super::write::remount_read_write`], so that checks fail on an unchanged image.
pub fn launch_for_writing(ctx: &Ctx) -> Result<guestfs::Handle, i32> {
    let mut g = ctx.launch_configured(false, use_two_vcpus)?;
    ctx.mount_guest_for_fish(&mut g)?;
    if !stdin_is_terminal() {
        g.set_error_handler(Box::new(|msg: &str| report_library_error(msg)));
    }
    Ok(g)
}

/// The writing wrappers unpack a tar stream in the appliance: the daemon receiving it and
/// tar writing the files are two processes that run in parallel on two vCPUs (under TCG,
/// qemu gives each vCPU a host thread). libguestfs's default is one; these wrappers, which
/// have no option for it, use two when the host has them. Only the speed differs.
fn use_two_vcpus(g: &mut guestfs::Handle) {
    let host_cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if host_cpus >= 2 {
        // Cannot fail: 2 is within every limit set_smp checks.
        let _ = g.set_smp(2);
    }
}

fn stdin_is_terminal() -> bool {
    // SAFETY: isatty only inspects descriptor 0.
    unsafe { libc::isatty(0) == 1 }
}

/// A library error once the wrapper's command runs, as guestfish prints it: with its input
/// position when standard input is not a terminal.
pub fn report_library_error(msg: &str) {
    if stdin_is_terminal() {
        eprintln!("libguestfs: error: {}", msg);
    } else {
        eprintln!("*stdin*:0: libguestfs: error: {}", msg);
    }
}

//! guestfish, the guest filesystem shell: every API action as a command, plus guestfish's own
//! commands, from the command line, a script or an interactive shell — compatible with
//! libguestfs 1.48's guestfish in its options, line syntax, argument parsing, output and
//! errors.

mod args;
/// guestfish's string-list syntax, which the guestfish wrappers' optional arguments share.
pub use args::{parse_bool, string_list};
pub mod commands;
mod complete;

mod dispatch;
pub mod help;
mod line;
pub mod numbers;
mod options;
mod output;
mod prep;
mod print;
mod progress;
mod remote;
mod session;
mod shell;
mod startup;
pub mod tempfile;
mod uri;

use crate::common::{fish as fish_options, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use session::{error, Exit, Fish, InputPosition, Settings};
use std::sync::Arc;

pub static SPEC: ToolSpec = ToolSpec {
    name: "guestfish",
    description: "guest filesystem shell",
    copyright: "Copyright (C) 2009-2020 Red Hat Inc.",
    usage: &["{prog} [--options] cmd [: cmd : cmd ...]"],
    tables: fish_options::TABLES,
    version: LIBGUESTFS_VERSION,
    features: &[],
    perl_style: false,
    help_text: None,
    man: include_str!("../../../man/src/guestfish.txt"),
    command,
    run,
};

fn command() -> clap::Command {
    options::described_command().about(SPEC.description)
}

/// guestfish reads its own command line (see [`main`]); the binary's tool table routes it
/// there, never through the shared option parser that calls this.
fn run(ctx: &mut Ctx) -> i32 {
    ctx.fail("guestfish must be started through its own entry point")
}

/// Runs guestfish with `args` (without the program name); returns the exit status.
pub fn main(prog: &str, args: Vec<String>) -> i32 {
    match start(prog, &args) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// SIGINT/SIGQUIT while interactive interrupt the command's children, not guestfish.
fn install_interrupt_handler() {
    extern "C" fn on_interrupt(_: libc::c_int) {}
    // SAFETY: the handler does nothing (so it is async-signal-safe); sigaction gets a valid
    // zero-initialised structure.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as *const () as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGQUIT, &sa, std::ptr::null_mut());
    }
}

fn stdin_is_tty() -> bool {
    // SAFETY: isatty only inspects descriptor 0.
    unsafe { libc::isatty(0) == 1 }
}

fn start(prog: &str, args: &[String]) -> Result<(), Exit> {
    let config_read_only = crate::common::tools_config::read_only(false).map_err(|m| {
        error(&m);
        1
    })?;
    let (occurrences, operands, scan_error) = options::scan(args);
    let read_only = config_read_only || occurrences.iter().any(|o| o.id == "ro");
    let mut g = guestfs::Handle::new();
    crate::common::choose_backend(&mut g, read_only);
    let settings = Settings {
        read_only: config_read_only,
        complete_dest_paths: true,
        ..Default::default()
    };
    let mut fish = Fish::new(g, settings);
    let mut s = options::apply(&mut fish, prog, args, &occurrences, operands, scan_error)?;

    fish.settings.interactive = s.file.is_none() && stdin_is_tty();
    if fish.settings.interactive {
        install_interrupt_handler();
        if fish.g.set_pgroup(true).is_err() {
            return Err(1);
        }
    }

    // A server forks before launching anything; the parent exits once the child serves.
    let serving =
        s.listen && fish.settings.remote_pid.is_none() && s.words.is_empty() && s.file.is_none();
    let listener = if serving {
        Some(remote::fork_server(s.csh)?)
    } else {
        None
    };

    startup::prepare(&mut fish, &mut s)?;

    if s.listen {
        if fish.settings.remote_pid.is_some() {
            error("cannot use --listen and --remote options at the same time");
            return Err(1);
        }
        if !s.words.is_empty() {
            error("extra parameters on the command line with --listen flag");
            return Err(1);
        }
        if s.file.is_some() {
            error("cannot use --listen and --file options at the same time");
            return Err(1);
        }
        if let Some(l) = listener {
            l.serve(&mut fish)?;
        }
        shell::save_history(&fish.history);
        return Ok(());
    }

    if let Some(file) = &s.file {
        use std::os::fd::AsRawFd;
        match std::fs::File::open(file) {
            // SAFETY: makes the script file descriptor 0 (stdin has not been read yet).
            Ok(f) => unsafe {
                libc::dup2(f.as_raw_fd(), 0);
            },
            Err(e) => {
                error(&format!(
                    "open: {}: {}",
                    file,
                    guestfs::error::strerror(e.raw_os_error().unwrap_or(libc::EIO))
                ));
                return Err(1);
            }
        }
    }
    if !fish.settings.interactive {
        fish.input = Arc::new(InputPosition::new(s.file.as_deref().unwrap_or("*stdin*")));
        fish.install_error_handler();
    }

    let bars = s
        .progress_bars
        .unwrap_or(s.words.is_empty() && fish.settings.interactive);
    if bars {
        let p = progress::ProgressBars::new();
        p.attach(&mut fish);
        fish.progress = Some(p);
    }

    if s.words.is_empty() {
        if fish.settings.interactive {
            shell::interactive(&mut fish)?;
        } else {
            shell::script(&mut fish)?;
        }
    } else {
        shell::command_line(&mut fish, &s.words)?;
    }

    fish.g.shutdown().map_err(|_| 1)?;
    let history = std::mem::take(&mut fish.history);
    drop(fish);
    shell::save_history(&history);
    Ok(())
}

//! Running one command: finding it by name (case-insensitive; `mount-ro`, `mount_ro` and the
//! aliases), sending its output through a `| shell` pipe when asked, or to a `--remote`
//! server, parsing its arguments, calling the action and printing the result.

use super::args::{self, ArgsError};
use super::commands::{FishCommand, COMMANDS};
use super::output::Flushed;
use super::session::{error, perror, stderr_line, CmdResult, Failed, Fish};
use super::{help, print, remote};
use guestfs::protocol::meta::{Action, RetType};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

/// What a command name stands for.
#[derive(Clone, Copy)]
pub enum Target {
    Action(&'static Action),
    Fish(&'static FishCommand),
}

/// The other guestfish names of an action: its fish aliases and its C aliases with dashes
/// (`add`, `add-drive-opts`).
pub fn action_aliases(a: &Action) -> Vec<String> {
    a.fish_alias
        .iter()
        .map(|s| s.to_string())
        .chain(a.c_aliases.iter().map(|s| s.replace('_', "-")))
        .collect()
}

/// Every API action that is a guestfish command, in name order.
pub fn fish_actions() -> impl Iterator<Item = &'static Action> {
    guestfs::ACTIONS.iter().filter(|a| a.in_guestfish())
}

/// The lookup table: each name (with underscores and with dashes) and alias, in lower case
/// (names like `mke2fs_J` have capitals).
fn table() -> &'static HashMap<String, Target> {
    static TABLE: OnceLock<HashMap<String, Target>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = HashMap::new();
        for a in fish_actions() {
            let target = Target::Action(a);
            t.insert(a.name.to_ascii_lowercase(), target);
            t.insert(a.fish_name().to_ascii_lowercase(), target);
            for alias in action_aliases(a) {
                t.insert(alias.to_ascii_lowercase(), target);
            }
        }
        for c in COMMANDS {
            let target = Target::Fish(c);
            t.insert(c.name.to_ascii_lowercase(), target);
            t.insert(c.name.replace('_', "-").to_ascii_lowercase(), target);
            for alias in c.aliases {
                t.insert(alias.to_ascii_lowercase(), target);
            }
        }
        t
    })
}

/// Finds a command (ASCII case-insensitive).
pub fn lookup(name: &str) -> Option<Target> {
    table().get(&name.to_ascii_lowercase()).copied()
}

/// `help`, `quit`/`exit`/`q`, or an action or guestfish command, with its output sent to
/// `pipe` if given. `rc_exit_on_error` is passed to a `--remote` server.
pub fn issue_command(
    fish: &mut Fish,
    cmd: &str,
    args: &[Vec<u8>],
    pipe: Option<&[u8]>,
    rc_exit_on_error: bool,
) -> CmdResult {
    if let Some(p) = &fish.progress {
        p.reset();
    }
    fish.command_num += 1;
    let redirect = match pipe {
        Some(p) => Some(PipeOutput::start(fish, p)?),
        None => None,
    };
    let mut r = if let Some(pid) = fish.settings.remote_pid {
        remote::send_command(pid, cmd, args, rc_exit_on_error)
    } else if cmd.eq_ignore_ascii_case("help") {
        help::help_command(fish, args)
    } else if ["quit", "exit", "q"]
        .iter()
        .any(|q| cmd.eq_ignore_ascii_case(q))
    {
        fish.quit = true;
        Ok(())
    } else {
        run_action(fish, cmd, args)
    };
    match fish.flush_stdout() {
        Flushed::Ok => {}
        Flushed::FlushError(errno) => {
            perror(
                "failed to flush standard output",
                &std::io::Error::from_raw_os_error(errno),
            );
            r = Err(Failed);
        }
        Flushed::WriteError if pipe.is_none() || fish.settings.pipe_error => {
            error(if pipe.is_some() {
                "write error on pipe"
            } else {
                "write error"
            });
            r = Err(Failed);
        }
        Flushed::WriteError => {}
    }
    if let Some(redirect) = redirect {
        if redirect.finish().is_err() {
            r = Err(Failed);
        }
    }
    r
}

/// Runs an action or guestfish command by name.
pub fn run_action(fish: &mut Fish, cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    match lookup(cmd) {
        Some(Target::Action(a)) => run_api(fish, a, cmd, args),
        Some(Target::Fish(c)) => (c.run)(fish, cmd, args),
        None => {
            stderr_line(&format!("{}: unknown command", cmd));
            if fish.command_num == 1 {
                stderr_line(
                    "Did you mean to open a disk image?  guestfish -a disk.img\n\
                     For a list of commands:             guestfish -h\n\
                     For complete documentation:         man guestfish",
                );
            }
            Err(Failed)
        }
    }
}

/// An API call from words: the arguments, the call, the printed result.
fn run_api(fish: &mut Fish, action: &'static Action, cmd: &str, words: &[Vec<u8>]) -> CmdResult {
    let call = match args::parse(fish, action, cmd, words) {
        Ok(c) => c,
        Err(ArgsError::WrongCount) => {
            stderr_line("error: incorrect number of arguments");
            stderr_line(&format!("usage: {}", help::synopsis(action)));
            stderr_line(&format!("type 'help {}' for more help on {}", cmd, cmd));
            return Err(Failed);
        }
        Err(ArgsError::Bad) => return Err(Failed),
    };
    let result = fish.g.call_dynamic(action, &call.args, &call.optargs);
    drop(call);
    match result {
        Ok(value) => {
            let bytes = print::render(action, &value);
            fish.out(&bytes);
            Ok(())
        }
        Err(e) => {
            if !e.reported {
                fish.g.report_error(action.name, e);
            }
            // 1.48 prints a NULL optional string without looking at errors.
            if matches!(action.ret, RetType::ConstOptString) {
                fish.out(b"(null)\n");
                return Ok(());
            }
            Err(Failed)
        }
    }
}

/// A command's stdout sent to a shell command (`cmd | pipeline`) while it runs.
struct PipeOutput {
    saved_stdout: OwnedFd,
    child: std::process::Child,
}

impl PipeOutput {
    fn start(fish: &mut Fish, pipeline: &[u8]) -> Result<PipeOutput, Failed> {
        use std::os::unix::ffi::OsStrExt;
        if let Flushed::FlushError(errno) = fish.flush_stdout() {
            perror(
                "failed to flush standard output",
                &std::io::Error::from_raw_os_error(errno),
            );
            return Err(Failed);
        }
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the two descriptors, which are then owned below.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
            super::session::perror("pipe failed", &std::io::Error::last_os_error());
            return Err(Failed);
        }
        // SAFETY: both descriptors were just created and are owned by nobody else.
        let (read_end, write_end) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let pipeline = pipeline.split(|&c| c == 0).next().unwrap_or_default();
        let child = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(std::ffi::OsStr::from_bytes(pipeline))
            .stdin(std::process::Stdio::from(read_end))
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                super::session::perror("fork", &e);
                return Err(Failed);
            }
        };
        // SAFETY: dup/dup2 on descriptors this process owns; the duplicate is owned below.
        let saved = unsafe { libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3) };
        if saved == -1 || unsafe { libc::dup2(write_end.as_raw_fd(), 1) } == -1 {
            super::session::perror("failed to dup stdout", &std::io::Error::last_os_error());
            return Err(Failed);
        }
        Ok(PipeOutput {
            // SAFETY: `saved` is a new descriptor owned by nobody else.
            saved_stdout: unsafe { OwnedFd::from_raw_fd(saved) },
            child,
        })
    }

    /// Puts stdout back (closing the pipe) and waits for the shell command.
    fn finish(mut self) -> Result<(), Failed> {
        let mut ok = true;
        // SAFETY: dup2 onto stdout of a descriptor this process owns.
        if unsafe { libc::dup2(self.saved_stdout.as_raw_fd(), 1) } == -1 {
            super::session::perror(
                "failed to dup2 standard output",
                &std::io::Error::last_os_error(),
            );
            ok = false;
        }
        if let Err(e) = self.child.wait() {
            super::session::perror("waiting for command to complete", &e);
            ok = false;
        }
        if ok {
            Ok(())
        } else {
            Err(Failed)
        }
    }
}

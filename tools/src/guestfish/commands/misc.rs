//! Small guestfish commands: `echo`, `lcd`, `setenv`, `unsetenv`, `time`, `supported` and
//! `reopen`.

use super::super::dispatch::issue_command;
use super::super::session::{perror, stderr_line, CmdResult, Failed, Fish};
use super::words;
use std::time::Instant;

pub fn run_echo(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let mut line = args.join(&b' ');
    line.push(b'\n');
    fish.out(&line);
    Ok(())
}

pub fn run_lcd(_fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let [dir] = &words(args)[..] else {
        stderr_line("use 'lcd directory' to change local directory");
        return Err(Failed);
    };
    std::env::set_current_dir(dir).map_err(|e| {
        perror(dir, &e);
        Failed
    })
}

/// A variable name the C library accepts (`setenv` fails with EINVAL otherwise).
fn valid_env_name(var: &str) -> bool {
    !var.is_empty() && !var.contains('=') && !var.contains('\0')
}

pub fn run_setenv(_fish: &mut Fish, cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let [var, value] = &words(args)[..] else {
        stderr_line(&format!(
            "use '{} VAR value' to set an environment variable",
            cmd
        ));
        return Err(Failed);
    };
    if !valid_env_name(var) || value.contains('\0') {
        perror("setenv", &std::io::Error::from_raw_os_error(libc::EINVAL));
        return Err(Failed);
    }
    std::env::set_var(var, value);
    Ok(())
}

pub fn run_unsetenv(_fish: &mut Fish, cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let [var] = &words(args)[..] else {
        stderr_line(&format!(
            "use '{} VAR' to unset an environment variable",
            cmd
        ));
        return Err(Failed);
    };
    if !valid_env_name(var) {
        perror("unsetenv", &std::io::Error::from_raw_os_error(libc::EINVAL));
        return Err(Failed);
    }
    std::env::remove_var(var);
    Ok(())
}

pub fn run_time(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let Some((command, rest)) = args.split_first() else {
        stderr_line("use 'time command [args...]'");
        return Err(Failed);
    };
    let start = Instant::now();
    issue_command(fish, &String::from_utf8_lossy(command), rest, None, false)?;
    let us = start.elapsed().as_micros();
    fish.out(
        format!(
            "elapsed time: {}.{:02} seconds\n",
            us / 1_000_000,
            (us / 10_000) % 100
        )
        .as_bytes(),
    );
    Ok(())
}

pub fn run_supported(fish: &mut Fish, _cmd: &str, _args: &[Vec<u8>]) -> CmdResult {
    let groups = fish.g.available_all_groups().map_err(|_| Failed)?;
    let width = groups.iter().map(|g| g.len()).max().unwrap_or(0);
    fish.g.push_error_handler_quiet();
    let mut text = String::new();
    for group in &groups {
        let yes = fish.g.available(std::slice::from_ref(group)).is_ok();
        text.push_str(&format!(
            "{:>width$} {}\n",
            group,
            if yes { "yes" } else { "no" },
            width = width
        ));
    }
    fish.g.pop_error_handler();
    fish.out(text.as_bytes());
    Ok(())
}

pub fn run_reopen(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    if !args.is_empty() {
        stderr_line("‘reopen’ command takes no parameters");
        return Err(Failed);
    }
    fish.g.shutdown().map_err(|_| Failed)?;
    // The new handle gets guestfish's error handler first, then the settings guestfish itself
    // sets are carried over.
    let mut old = std::mem::replace(&mut fish.g, guestfs::Handle::new());
    fish.install_error_handler();
    if let Ok(v) = old.get_verbose() {
        let _ = fish.g.set_verbose(v);
    }
    if let Ok(t) = old.get_trace() {
        let _ = fish.g.set_trace(t);
    }
    if let Ok(a) = old.get_autosync() {
        let _ = fish.g.set_autosync(a);
    }
    if let Ok(p) = old.get_path() {
        let _ = fish.g.set_path(Some(&p));
    }
    if let Ok(p) = old.get_pgroup() {
        let _ = fish.g.set_pgroup(p);
    }
    drop(old);
    // Event handlers belonged to the old handle.
    fish.events.clear();
    if let Some(bars) = fish.progress.clone() {
        bars.attach(fish);
    }
    Ok(())
}

//! Rescue mode (`guestfs_rescue=1` on the kernel command line, set by virt-rescue): besides
//! the protocol server, PID 1 runs an interactive bash on the serial console, and the
//! appliance ends when that shell ends. What the shell prints and reads goes over the
//! console, which virt-rescue relays to the user's terminal.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// How long the shell waits before it starts: virt-rescue mounts the guest's filesystems
/// (`-i`, `-m`) through the server meanwhile, and the welcome text says whether it did
/// (1.48's appliance waits the same time).
const MOUNT_GRACE: Duration = Duration::from_secs(2);

/// The rescue shell's home, where its start-up file sets the prompt.
const HOME: &str = "/root";

/// Whether the kernel command line asks for rescue mode.
pub fn requested(cmdline: &str) -> bool {
    cmdline.split_whitespace().any(|w| w == "guestfs_rescue=1")
}

/// The serial console's device, from `console=` on the command line (`ttyS0` when absent).
fn serial_console(cmdline: &str) -> String {
    cmdline
        .split_whitespace()
        .rev()
        .find_map(|w| w.strip_prefix("console="))
        .map(|c| c.split(',').next().unwrap_or(c).to_string())
        .filter(|c| !c.is_empty() && !c.contains('/'))
        .unwrap_or_else(|| "ttyS0".to_string())
}

/// The shell's start-up file: the terminal type virt-rescue passed and the rescue prompt.
fn bashrc(cmdline: &str) -> String {
    let mut rc = String::new();
    for w in cmdline
        .split_whitespace()
        .filter(|w| w.starts_with("TERM="))
    {
        rc.push_str(w);
        rc.push('\n');
    }
    rc.push_str("PS1='><rescue> '\nexport TERM PS1\n");
    rc
}

/// The text shown before the first prompt.
fn welcome(guest_mounted: bool) -> String {
    let mut s = String::from(
        "\n------------------------------------------------------------\n\n\
         Welcome to virt-rescue, the libguestfs rescue shell.\n\n\
         Note: The contents of / (root) are the rescue appliance.\n",
    );
    if guest_mounted {
        s.push_str("Use 'cd /sysroot' or 'chroot /sysroot' to see guest filesystems.\n");
    } else {
        s.push_str(
            "You have to mount the guest’s partitions under /sysroot\n\
             before you can examine them.\n",
        );
    }
    s.push('\n');
    s
}

/// Runs the rescue shell on the serial console and returns when it has ended. The server
/// (already started in its own process) keeps serving meanwhile.
pub fn run_shell(cmdline: &str) {
    std::thread::sleep(MOUNT_GRACE);
    let tty = format!("/dev/{}", serial_console(cmdline));
    let _ = std::fs::create_dir_all(HOME);
    let _ = std::fs::write(format!("{}/.bashrc", HOME), bashrc(cmdline));
    // Opened for each message: the end of the shell's session hangs the terminal up, and
    // a descriptor opened before then can no longer write.
    let say = |text: &str| {
        if let Ok(mut c) = std::fs::OpenOptions::new().write(true).open(&tty) {
            // The terminal's output processing turns each line end into CR LF.
            let _ = c.write_all(text.as_bytes());
        }
    };
    say(&welcome(std::path::Path::new("/sysroot/dev").is_dir()));
    match shell_on(&tty).spawn() {
        Ok(mut child) => {
            let _ = child.wait();
        }
        Err(e) => say(&format!("virt-rescue: bash: {}\n", e)),
    }
    say("\nvirt-rescue: Syncing the disk now before exiting ...\n\n");
}

/// bash in a new session whose controlling terminal is the console, so that job control
/// and ^C work (the kernel's /dev/console is never a controlling terminal).
fn shell_on(tty: &str) -> Command {
    let mut c = Command::new("bash");
    c.env_clear()
        .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
        .env("HOME", HOME)
        .env("SHELL", "/bin/bash")
        .current_dir("/");
    let path = std::ffi::CString::new(tty).unwrap_or_default();
    // SAFETY: only async-signal-safe calls between fork and exec (setsid, open, dup2,
    // ioctl, close), on a C string made before the fork.
    unsafe {
        c.pre_exec(move || {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            let fd = libc::open(path.as_ptr(), libc::O_RDWR);
            if fd == -1 {
                return Err(std::io::Error::last_os_error());
            }
            libc::ioctl(fd, libc::TIOCSCTTY, 0);
            for target in 0..3 {
                libc::dup2(fd, target);
            }
            if fd > 2 {
                libc::close(fd);
            }
            Ok(())
        });
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescue_is_asked_by_its_own_word() {
        assert!(requested("quiet guestfs_rescue=1 TERM=xterm"));
        assert!(!requested("quiet guestfs_rescue=10"));
    }

    #[test]
    fn the_console_comes_from_the_command_line() {
        assert_eq!(serial_console("panic=1 console=ttyS0 quiet"), "ttyS0");
        assert_eq!(serial_console("console=ttyS1,115200n8"), "ttyS1");
        assert_eq!(serial_console("quiet"), "ttyS0");
        assert_eq!(serial_console("console=../x"), "ttyS0");
    }

    #[test]
    fn the_prompt_and_terminal_type_are_set() {
        assert_eq!(
            bashrc("quiet TERM=xterm-256color"),
            "TERM=xterm-256color\nPS1='><rescue> '\nexport TERM PS1\n"
        );
    }

    #[test]
    fn the_welcome_says_whether_the_guest_is_mounted() {
        assert!(welcome(true).contains("Use 'cd /sysroot'"));
        assert!(welcome(false).contains("You have to mount"));
    }
}

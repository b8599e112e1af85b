//! Passphrases for encrypted devices, read as libguestfs 1.48's tools read them
//! (common/options/keys.c): from /dev/tty, or from standard input with `--keys-from-stdin`
//! or when there is no terminal. The prompt is written, and echo turned off (unless
//! `--echo-keys`), only when the input is a terminal, so that piped keys never put a prompt
//! into the tool's output.

use super::lines::{read_line_bounded, LONG_LINE};
use std::io::{BufRead, Write};

/// Reads the passphrase for `name` (a device or argument); None at the end of input.
pub fn read_key(name: &str, keys_from_stdin: bool, echo: bool) -> std::io::Result<Option<String>> {
    let tty = if keys_from_stdin {
        None
    } else {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()
    };
    let prompt = format!("Enter key or passphrase (\"{}\"): ", name);
    match tty {
        Some(t) => read_key_from(&t, &mut &t, &prompt, echo),
        None => {
            let stdin = std::io::stdin();
            let fd = std::os::unix::io::AsRawFd::as_raw_fd(&stdin);
            let mut out = std::io::stdout();
            read_key_at(fd, &mut stdin.lock(), &mut out, &prompt, echo)
        }
    }
}

fn read_key_from(
    tty: &std::fs::File,
    out: &mut dyn Write,
    prompt: &str,
    echo: bool,
) -> std::io::Result<Option<String>> {
    let fd = std::os::unix::io::AsRawFd::as_raw_fd(tty);
    let mut reader = std::io::BufReader::new(tty);
    read_key_at(fd, &mut reader, out, prompt, echo)
}

/// The prompt and echo handling around reading one line from `fd`.
fn read_key_at(
    fd: i32,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    prompt: &str,
    echo: bool,
) -> std::io::Result<Option<String>> {
    // SAFETY: isatty and the termios calls only read and set the terminal state of `fd`,
    // which stays open for the whole function; the original settings are restored.
    let is_tty = unsafe { libc::isatty(fd) } == 1;
    let mut saved: Option<libc::termios> = None;
    if is_tty {
        let _ = out.write_all(prompt.as_bytes());
        let _ = out.flush();
        if !echo {
            let mut orig: libc::termios = unsafe { std::mem::zeroed() };
            if unsafe { libc::tcgetattr(fd, &mut orig) } == -1 {
                return Err(std::io::Error::last_os_error());
            }
            let mut noecho = orig;
            noecho.c_lflag &= !libc::ECHO;
            unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &noecho) };
            saved = Some(orig);
        }
    }
    let r = read_line_bounded(input, LONG_LINE);
    if let Some(orig) = saved {
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(b"\n");
        let _ = stdout.flush();
        unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &orig) };
    }
    let Some(mut line) = r? else {
        return Ok(None);
    };
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

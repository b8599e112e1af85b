//! Where commands come from: the command line (`cmd args : cmd …`), a script (stdin or `-f`,
//! read like C's `fgets` with an 8 KiB buffer), or the interactive shell (line editing,
//! history in `~/.guestfish`, completion, the `GUESTFISH_PS1`/`OUTPUT`/`INIT` strings); and
//! what a line can be besides a command: `!shell`, `<!shell` (its output run as commands).

use super::args::{read_chunk, read_line_bounded, LONG_LINE};
use super::complete::FishHelper;
use super::dispatch::issue_command;
use super::line::{self, Line};
use super::session::{error, system, Exit, Fish};
use std::io::Write;

/// Runs one input line. `exit_on_error` (script mode) makes a failure end guestfish, unless
/// the line starts with `-`.
pub fn run_line(fish: &mut Fish, buf: &[u8], exit_on_error: bool) -> Result<(), Exit> {
    let parsed = line::parse(buf);
    let exit_on_error = exit_on_error && !parsed.ignore_errors;
    let ok = match parsed.line {
        Err(msg) => {
            error(&msg);
            false
        }
        Ok(Line::Nothing) => true,
        Ok(Line::Shell(cmd)) => shell_escape(&cmd),
        Ok(Line::Inline(cmd)) => execute_and_inline(fish, &cmd, exit_on_error)?,
        Ok(Line::Command(c)) => {
            issue_command(fish, &c.name, &c.args, c.pipe.as_deref(), exit_on_error).is_ok()
        }
    };
    if !ok && exit_on_error {
        return Err(1);
    }
    Ok(())
}

/// `!cmd`: a failure is a non-zero exit status or death by SIGINT/SIGQUIT (any other signal
/// reads as status 0, as C's `WEXITSTATUS` sees it).
fn shell_escape(cmd: &[u8]) -> bool {
    use std::os::unix::process::ExitStatusExt;
    match system(cmd) {
        Ok(s) => match s.signal() {
            Some(sig) => sig != libc::SIGINT && sig != libc::SIGQUIT,
            None => s.code() == Some(0),
        },
        Err(_) => false,
    }
}

/// `<!cmd`: runs `cmd` and executes each line of its output as a guestfish line.
fn execute_and_inline(fish: &mut Fish, cmd: &[u8], exit_on_error: bool) -> Result<bool, Exit> {
    use std::os::unix::ffi::OsStrExt;
    let _ = std::io::stdout().flush();
    let cmd = cmd.split(|&c| c == 0).next().unwrap_or_default();
    let child = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(std::ffi::OsStr::from_bytes(cmd))
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            super::session::perror("popen", &e);
            return Ok(false);
        }
    };
    if let Some(out) = child.stdout.take() {
        let mut reader = std::io::BufReader::new(out);
        while let Ok(Some(mut line)) = read_line_bounded(&mut reader, LONG_LINE) {
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            run_line(fish, &line, exit_on_error)?;
        }
    }
    match child.wait() {
        Ok(s) if s.success() => Ok(true),
        _ => {
            super::session::perror_stale("pclose", libc::ENOTTY);
            Ok(false)
        }
    }
}

/// Script mode: lines from stdin until the end or `quit`; the first failure ends guestfish.
pub fn script(fish: &mut Fish) -> Result<(), Exit> {
    while !fish.quit {
        let chunk = {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            read_chunk(&mut input)
        };
        let mut line = match chunk {
            Ok(Some(l)) => l,
            Ok(None) | Err(_) => break,
        };
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        fish.input.next_line();
        run_line(fish, &line, true)?;
    }
    Ok(())
}

/// Command-line mode: the words after the options, commands separated by `:`. A command
/// written `-cmd` may fail without ending guestfish.
pub fn command_line(fish: &mut Fish, words: &[String]) -> Result<(), Exit> {
    let mut rest = words;
    while let Some((first, after)) = rest.split_first() {
        if first == ":" {
            error("empty command on command line");
            return Err(1);
        }
        let (cmd, exit_on_error) = match first.strip_prefix('-') {
            Some(c) => (c, false),
            None => (first.as_str(), true),
        };
        let end = after.iter().position(|w| w == ":").unwrap_or(after.len());
        let args: Vec<Vec<u8>> = after[..end]
            .iter()
            .map(|w| guestfs::protocol::lossless::bytes_of(w).into_owned())
            .collect();
        if issue_command(fish, cmd, &args, None, exit_on_error).is_err() && exit_on_error {
            return Err(1);
        }
        rest = after.get(end + 1..).unwrap_or_default();
    }
    Ok(())
}

/// `GUESTFISH_PS1` escapes: `\\`, `\[` `\]` (readline's invisible-text markers, dropped
/// here), `\a`, `\e`, `\n`, `\r`, `\NNN` octal (up to 3 digits), `\xHH` (up to 2); any other
/// escape is `?`.
pub fn decode_prompt(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        if i + 1 < b.len() {
            i += 1;
        }
        match b[i] {
            b'\\' => out.push(b'\\'),
            b'[' | b']' => {}
            b'a' => out.push(0x07),
            b'e' => out.push(0x1b),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'0'..=b'7' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
                continue;
            }
            b'x' => {
                i += 1;
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 2 && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                out.push(if n == 0 { b'?' } else { v as u8 });
                continue;
            }
            _ => out.push(b'?'),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The history file, `$HOME/.guestfish`.
fn history_file() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".guestfish"))
}

/// Interactive mode: the banner, then lines from the terminal until EOF or `quit`; errors are
/// reported and the shell goes on.
pub fn interactive(fish: &mut Fish) -> Result<(), Exit> {
    use rustyline::error::ReadlineError;
    use rustyline::history::{History, MemHistory};
    let env = |v: &str| std::env::var(v).ok().map(|s| decode_prompt(&s));
    let (ps1, ps_output, ps_init) = (
        env("GUESTFISH_PS1"),
        env("GUESTFISH_OUTPUT"),
        env("GUESTFISH_INIT"),
    );
    let config = rustyline::Config::builder()
        .completion_type(rustyline::CompletionType::List)
        .max_history_size(10000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut editor: rustyline::Editor<FishHelper, MemHistory> =
        match rustyline::Editor::with_history(config, MemHistory::new()) {
            Ok(e) => e,
            Err(e) => {
                error(&format!("cannot start line editing: {}", e));
                return Err(1);
            }
        };
    editor.set_helper(Some(FishHelper::new(fish.settings.complete_dest_paths)));
    if let Some(h) = history_file() {
        if let Ok(text) = std::fs::read(h) {
            for l in String::from_utf8_lossy(&text).lines() {
                let _ = editor.history_mut().add(l);
            }
        }
    }

    let mut banner = String::new();
    if let Some(init) = &ps_init {
        banner.push_str(init);
    }
    banner.push_str(
        "\nWelcome to guestfish, the guest filesystem shell for\n\
         editing virtual machine filesystems and disk images.\n\
         \n\
         Type: ‘help’ for help on commands\n\
         \x20     ‘man’ to read the manual\n\
         \x20     ‘quit’ to quit the shell\n\n",
    );
    fish.out(banner.as_bytes());
    if let Some(root) = fish.inspected_root.clone() {
        super::startup::print_inspect_prompt(fish, &root);
        fish.out(b"\n");
    }
    fish.flush_stdout();

    let prompt = ps1.unwrap_or_else(|| "><fs> ".to_string());
    let mut result = Ok(());
    while !fish.quit {
        // The completer needs the handle while the line is edited.
        if let Some(h) = editor.helper_mut() {
            h.lend(std::mem::take(&mut fish.g));
        }
        let read = editor.readline(&prompt);
        if let Some(g) = editor.helper_mut().and_then(FishHelper::take_back) {
            fish.g = g;
        }
        if let Some(po) = &ps_output {
            fish.out(po.as_bytes());
            fish.flush_stdout();
        }
        let line = match read {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        };
        if !line.is_empty() {
            let _ = editor.history_mut().add(&line);
            fish.history.push(line.clone());
        }
        fish.input.next_line();
        if let Err(code) = run_line(fish, line.as_bytes(), false) {
            result = Err(code);
            break;
        }
    }
    fish.out(b"\n");
    fish.flush_stdout();
    result
}

/// At a normal end, in every mode as 1.48 does: the history file is created (mode 0600) if
/// missing and this session's interactive lines are appended.
pub fn save_history(lines: &[String]) {
    use std::os::unix::fs::OpenOptionsExt;
    let Some(path) = history_file() else {
        return;
    };
    let path = path.as_path();
    let f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path);
    match f {
        Ok(mut f) => {
            for l in lines {
                let _ = writeln!(f, "{}", l);
            }
        }
        Err(e) => super::session::perror(&path.to_string_lossy(), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_escapes() {
        assert_eq!(decode_prompt("><fs> "), "><fs> ");
        assert_eq!(
            decode_prompt(r"\[\e[1;30m\]><fs>\[\e[0;30m\] "),
            "\x1b[1;30m><fs>\x1b[0;30m "
        );
        assert_eq!(decode_prompt(r"a\\b\n\101\x41\x\q"), "a\\b\nAA??");
        assert_eq!(decode_prompt("end\\"), "end\\");
    }
}

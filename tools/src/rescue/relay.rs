//! The session: what the user types goes to the appliance's console (escape sequences
//! excepted), what the console prints comes to the user's output, until the shell ends or
//! the user quits.
//!
//! On a terminal the input is raw, as 1.48 has it. Input that is not a terminal (commands
//! piped in, which 1.48 refuses) is held until the shell's first prompt, then sent a line at a
//! time as the shell prompts again (or, for a command that reads the input itself, after a
//! pause): the appliance's serial line has no flow control, so a burst larger than its input
//! buffer would be lost. At the end of such input the shell gets an end of file and exits.

use super::escape::{Command, Escapes, Sequence};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

/// What the rescue shell prints as its prompt (set by the appliance).
const PROMPT: &[u8] = b"><rescue> ";

/// bash's continuation prompt (an open quote, a here-document, a compound command).
const CONTINUATION: &[u8] = b"> ";

/// How long a piped line waits for a prompt before it is sent anyway: the command running may
/// be reading its input itself.
const PROMPT_OR_READER_WAIT: Duration = Duration::from_secs(2);

/// How long piped input waits for the first prompt before it is sent anyway.
const PROMPT_WAIT: Duration = Duration::from_secs(120);

/// The terminal settings of standard input while the session runs raw.
pub struct RawTerminal {
    saved: libc::termios,
}

impl RawTerminal {
    /// Puts standard input in raw mode if it is a terminal; None if it is not one.
    pub fn enter() -> Option<std::io::Result<RawTerminal>> {
        // SAFETY: isatty only inspects descriptor 0.
        if unsafe { libc::isatty(0) } != 1 {
            return None;
        }
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: descriptor 0 and a valid termios pointer.
        if unsafe { libc::tcgetattr(0, &mut saved) } == -1 {
            return Some(Err(std::io::Error::last_os_error()));
        }
        let mut raw = saved;
        // SAFETY: a valid termios pointer.
        unsafe { libc::cfmakeraw(&mut raw) };
        // SAFETY: descriptor 0 and a valid termios pointer.
        if unsafe { libc::tcsetattr(0, libc::TCSANOW, &raw) } == -1 {
            return Some(Err(std::io::Error::last_os_error()));
        }
        Some(Ok(RawTerminal { saved }))
    }

    /// Back to the user's settings (for suspending), then raw again with `resume`.
    pub fn restore(&self) {
        // SAFETY: descriptor 0 and a valid termios pointer.
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &self.saved) };
    }

    fn resume(&self) {
        let mut raw = self.saved;
        // SAFETY: valid termios pointers, descriptor 0.
        unsafe {
            libc::cfmakeraw(&mut raw);
            libc::tcsetattr(0, libc::TCSANOW, &raw);
        }
    }

    /// Stops this process as the terminal's suspend key would (`^] z`), with the terminal
    /// in its usual mode meanwhile.
    pub fn suspend(&self) {
        self.restore();
        // SAFETY: raising a signal on this process.
        unsafe { libc::raise(libc::SIGTSTP) };
        self.resume();
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        self.restore();
    }
}

/// What the session needs from the tool: acting on an escape sequence.
pub trait Commands {
    /// Carries out one sequence, returning what to show the user.
    fn run(&mut self, sequence: Sequence) -> Vec<u8>;
}

/// Piped input: held until the shell prompts, then a line per prompt.
struct Pacing {
    pending: Vec<u8>,
    eof: bool,
    /// Whether the end of input (^D) has been sent.
    eof_sent: bool,
    /// When the last line was sent (None before the first).
    sent_at: Option<Instant>,
    /// Whether the shell has prompted since the last line was sent.
    prompted: bool,
    /// The end of what the console printed since the last line was sent, to see a prompt.
    tail: Vec<u8>,
    opened: Instant,
}

impl Pacing {
    fn new() -> Pacing {
        Pacing {
            pending: Vec::new(),
            eof: false,
            eof_sent: false,
            sent_at: None,
            prompted: false,
            tail: Vec::new(),
            opened: Instant::now(),
        }
    }

    fn saw_output(&mut self, out: &[u8]) {
        self.tail.extend_from_slice(out);
        // The rescue prompt, or bash's continuation prompt at the end of the output.
        if contains(&self.tail, PROMPT) || self.tail.ends_with(CONTINUATION) {
            self.prompted = true;
        }
        if self.tail.len() > 4096 {
            self.tail.drain(..self.tail.len() - PROMPT.len());
        }
    }

    /// Since when the next line has been waiting for a prompt; None if it may go now.
    fn held_since(&self) -> Option<Instant> {
        if self.prompted {
            return None;
        }
        Some(self.sent_at.unwrap_or(self.opened))
    }

    /// How long the next line waits for a prompt: before the first, the shell's start; then
    /// a command that reads its input itself (no prompt comes until it ends).
    fn patience(&self) -> Duration {
        if self.sent_at.is_none() {
            PROMPT_WAIT
        } else {
            PROMPT_OR_READER_WAIT
        }
    }

    /// The next bytes to send now, if any.
    fn next(&mut self) -> Option<Vec<u8>> {
        let line = self.pending.iter().position(|&c| c == b'\n');
        let end_of_input = line.is_none() && self.eof && !self.eof_sent;
        if line.is_none() && !end_of_input {
            return None;
        }
        if let Some(since) = self.held_since() {
            // The end of input waits for a prompt as long as it takes (sent to a running
            // command, it would end that command's input instead).
            let patience = if end_of_input && self.pending.is_empty() {
                PROMPT_WAIT
            } else {
                self.patience()
            };
            if since.elapsed() < patience {
                return None;
            }
        }
        let chunk: Vec<u8> = match line {
            Some(i) => self.pending.drain(..=i).collect(),
            None if !self.pending.is_empty() => {
                let mut rest = std::mem::take(&mut self.pending);
                rest.push(b'\n');
                rest
            }
            // ^D at an empty prompt: the shell reads the end of its input and exits.
            None => {
                self.eof_sent = true;
                vec![0x04]
            }
        };
        self.tail.clear();
        self.prompted = false;
        self.sent_at = Some(Instant::now());
        Some(chunk)
    }

    /// How long poll may sleep before a held line may be sent.
    fn timeout(&self) -> Option<Duration> {
        let waiting = self.pending.contains(&b'\n') || (self.eof && !self.eof_sent);
        if !waiting {
            return None;
        }
        let since = self.held_since()?;
        Some((since + self.patience()).saturating_duration_since(Instant::now()))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn read_some(fd: RawFd, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: buf is valid for its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn write_all(fd: RawFd, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        // SAFETY: data is valid for its length.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            if e.kind() == std::io::ErrorKind::WouldBlock {
                wait_writable(fd);
                continue;
            }
            return Err(e);
        }
        data = &data[n as usize..];
    }
    Ok(())
}

fn wait_writable(fd: RawFd) {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, -1) };
}

/// Relays between the user and the console until the console closes, the user's input
/// ends (on a terminal) or the user quits. `terminal` is the raw terminal, if the input is
/// one.
pub fn run(
    console: BorrowedFd<'_>,
    escapes: &mut Escapes,
    terminal: Option<&RawTerminal>,
    commands: &mut dyn Commands,
) -> std::io::Result<()> {
    let sock = console.as_raw_fd();
    let mut pacing = terminal.is_none().then(Pacing::new);
    let mut stdin_open = true;
    let mut buf = vec![0u8; 4096];
    loop {
        let mut fds = vec![libc::pollfd {
            fd: sock,
            events: libc::POLLIN,
            revents: 0,
        }];
        if stdin_open {
            fds.push(libc::pollfd {
                fd: 0,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let timeout = pacing
            .as_ref()
            .and_then(Pacing::timeout)
            .map_or(-1, |d| d.as_millis().min(i32::MAX as u128) as i32);
        // SAFETY: fds is a valid array of its length.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if fds[0].revents != 0 {
            match read_some(sock, &mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    write_all(1, &buf[..n])?;
                    if let Some(p) = pacing.as_mut() {
                        p.saw_output(&buf[..n]);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        if fds.get(1).is_some_and(|f| f.revents != 0) {
            let n = match read_some(0, &mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                stdin_open = false;
                match pacing.as_mut() {
                    // A terminal that went away: end at once, as 1.48 does.
                    None => return Ok(()),
                    Some(p) => p.eof = true,
                }
            }
            let (to_shell, sequences) = escapes.filter(&buf[..n]);
            match pacing.as_mut() {
                Some(p) => p.pending.extend_from_slice(&to_shell),
                None => write_all(sock, &to_shell)?,
            }
            for s in sequences {
                write_all(1, &commands.run(s))?;
                match s.command {
                    Command::Quit => return Ok(()),
                    Command::Suspend => {
                        if let Some(t) = terminal {
                            t.suspend();
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(p) = pacing.as_mut() {
            if let Some(chunk) = p.next() {
                write_all(sock, &chunk)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piped_input_waits_for_each_prompt() {
        let mut p = Pacing::new();
        p.pending.extend_from_slice(b"ls\npwd\n");
        assert_eq!(p.next(), None);
        p.saw_output(b"Welcome\r\n\x1b[?2004h><rescue> ");
        assert_eq!(p.next(), Some(b"ls\n".to_vec()));
        assert_eq!(p.next(), None, "held until the prompt");
        p.saw_output(b"ls\r\nbin\r\n");
        assert_eq!(p.next(), None);
        p.saw_output(b"><rescue> ");
        assert_eq!(p.next(), Some(b"pwd\n".to_vec()));
        p.eof = true;
        assert_eq!(p.next(), None, "the end of input waits for the prompt too");
        p.saw_output(b"pwd\r\n/\r\n><rescue> ");
        assert_eq!(p.next(), Some(vec![0x04]));
        p.saw_output(b"><rescue> ");
        assert_eq!(p.next(), None, "one end of file");
        assert_eq!(p.timeout(), None);
    }

    #[test]
    fn a_continuation_prompt_lets_the_next_line_go() {
        let mut p = Pacing::new();
        p.saw_output(b"><rescue> ");
        p.pending
            .extend_from_slice(b"for i in 1 2\ndo echo $i; done\n");
        assert_eq!(p.next(), Some(b"for i in 1 2\n".to_vec()));
        p.saw_output(b"for i in 1 2\r\n> ");
        assert_eq!(p.next(), Some(b"do echo $i; done\n".to_vec()));
    }

    #[test]
    fn a_last_line_without_a_line_end_is_ended() {
        let mut p = Pacing::new();
        p.saw_output(b"><rescue> ");
        p.pending.extend_from_slice(b"echo x");
        assert_eq!(p.next(), None);
        p.eof = true;
        assert_eq!(p.next(), Some(b"echo x\n".to_vec()));
    }

    #[test]
    fn a_line_for_a_reading_command_goes_after_a_pause() {
        let mut p = Pacing::new();
        p.saw_output(b"><rescue> ");
        p.pending.extend_from_slice(b"cat\nhello\n");
        assert_eq!(p.next(), Some(b"cat\n".to_vec()));
        assert!(p.timeout().is_some_and(|t| t <= PROMPT_OR_READER_WAIT));
        p.sent_at = Some(Instant::now() - PROMPT_OR_READER_WAIT);
        assert_eq!(p.next(), Some(b"hello\n".to_vec()));
    }
}

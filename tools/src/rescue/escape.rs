//! virt-rescue's escape key: its `-e` spelling, and the commands typed after it, taken out
//! of what the user types before the rest goes to the rescue shell.

/// The escape key 1.48 uses when `-e` is not given: `^]`.
pub const DEFAULT: u8 = 0x1d;

/// `-e ^X` (a control key) or `-e none` (0: no escape key); None for anything else.
pub fn parse(arg: &str) -> Option<u8> {
    if arg == "none" {
        return Some(0);
    }
    match arg.as_bytes() {
        [b'^', c @ (b'a'..=b'z' | b'A'..=b'_')] => Some(c.to_ascii_uppercase() - b'@'),
        _ => None,
    }
}

/// How the key is shown: `^]`, or `none`.
pub fn name(key: u8) -> String {
    match key {
        0 => "none".to_string(),
        k => format!("^{}", char::from(k + b'@')),
    }
}

/// What the user asked for with an escape sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Help,
    Inspection,
    Quit,
    Sync,
    Unmount,
    Suspend,
}

impl Command {
    fn of(c: u8) -> Option<Command> {
        Some(match c {
            b'?' | b'h' => Command::Help,
            b'i' => Command::Inspection,
            b'q' | b'x' => Command::Quit,
            b's' => Command::Sync,
            b'u' => Command::Unmount,
            b'z' => Command::Suspend,
            _ => return None,
        })
    }
}

/// A recognised sequence: the command and the letter typed for it (which 1.48 echoes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequence {
    pub command: Command,
    pub letter: u8,
}

/// The escape state, kept across reads (the key and its letter may come in two reads).
pub struct Escapes {
    key: u8,
    pending: bool,
}

impl Escapes {
    pub fn new(key: u8) -> Escapes {
        Escapes {
            key,
            pending: false,
        }
    }

    /// Takes the escape sequences out of `typed`, leaving what goes to the shell, and returns
    /// the sequences in order. Input after a quit is dropped, as 1.48 exits at once. The key
    /// typed twice sends it once; an unknown letter after it is dropped.
    pub fn filter(&mut self, typed: &[u8]) -> (Vec<u8>, Vec<Sequence>) {
        let mut to_shell = Vec::with_capacity(typed.len());
        let mut sequences = Vec::new();
        for &c in typed {
            if self.key == 0 {
                to_shell.push(c);
            } else if !self.pending {
                if c == self.key {
                    self.pending = true;
                } else {
                    to_shell.push(c);
                }
            } else {
                self.pending = false;
                if c == self.key {
                    to_shell.push(c);
                } else if let Some(command) = Command::of(c) {
                    sequences.push(Sequence { command, letter: c });
                    if command == Command::Quit {
                        break;
                    }
                }
            }
        }
        (to_shell, sequences)
    }
}

/// The line shown before the session starts (the terminal is raw: CR LF).
pub fn banner(key: u8) -> String {
    let k = name(key);
    format!(
        "\r\nThe virt-rescue escape key is ‘{}’.  Type ‘{} h’ for help.\r\n",
        k, k
    )
}

/// The answer to the help sequence; the inspection line only with `-i`.
pub fn help(key: u8, inspector: bool) -> String {
    let k = name(key);
    let mut lines = vec!["virt-rescue escape sequences:".to_string()];
    let mut entries = vec![("?", "print this message"), ("h", "print this message")];
    if inspector {
        entries.push(("i", "print inspection data"));
    }
    entries.extend([
        ("q", "quit virt-rescue"),
        ("s", "sync the filesystems"),
        ("u", "unmount filesystems"),
        ("x", "quit virt-rescue"),
        ("z", "suspend virt-rescue"),
    ]);
    for (letter, what) in entries {
        lines.push(format!(" {} {} - {}", k, letter, what));
    }
    lines.push("to pass the escape key through to the rescue shell, type it twice".to_string());
    lines.iter().map(|l| format!("{}\r\n", l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_spelled_as_1_48_takes_them() {
        assert_eq!(parse("^]"), Some(0x1d));
        assert_eq!(parse("^a"), Some(1));
        assert_eq!(parse("^A"), Some(1));
        assert_eq!(parse("^_"), Some(0x1f));
        assert_eq!(parse("none"), Some(0));
        assert_eq!(parse("^"), None);
        assert_eq!(parse("^1"), None);
        assert_eq!(parse("x"), None);
        assert_eq!(parse(""), None);
        assert_eq!(name(0x1d), "^]");
        assert_eq!(name(0), "none");
    }

    #[test]
    fn sequences_are_taken_out_of_the_input() {
        let mut e = Escapes::new(DEFAULT);
        let (shell, seqs) = e.filter(b"ls\x1dhpwd\x1d\x1d\n");
        assert_eq!(shell, b"lspwd\x1d\n");
        assert_eq!(
            seqs,
            vec![Sequence {
                command: Command::Help,
                letter: b'h'
            }]
        );
        // Split across reads; an unknown letter is dropped; input after quit is dropped.
        assert_eq!(e.filter(b"a\x1d"), (b"a".to_vec(), vec![]));
        assert_eq!(e.filter(b"Zb\x1dqrest").0, b"b");
        let mut none = Escapes::new(0);
        assert_eq!(none.filter(b"\x1dq").0, b"\x1dq");
    }

    #[test]
    fn help_lists_inspection_only_with_i() {
        assert!(help(DEFAULT, true).contains(" ^] i - print inspection data\r\n"));
        assert!(!help(DEFAULT, false).contains(" i - "));
        assert!(help(DEFAULT, false).starts_with("virt-rescue escape sequences:\r\n ^] ? - "));
    }
}

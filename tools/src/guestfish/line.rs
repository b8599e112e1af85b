//! One line of guestfish input (script or interactive) split the way 1.48 splits it: comments,
//! `!cmd`, `<!cmd`, the `-` prefix, the command word, then arguments that are bare words,
//! `"…"` with C escapes, or `'…'`, an optional `| shell pipeline`, `~` expansion of bare words.
//!
//! Lines are bytes: quoted escapes can make any byte but NUL.

/// guestfish keeps 64 argument slots, the last for the terminator.
const MAX_ARGS: usize = 63;

/// What a line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Blank, comment, or only `-`.
    Nothing,
    /// `!REST`: run REST with the shell.
    Shell(Vec<u8>),
    /// `<!REST`: run REST and execute its output lines as guestfish commands.
    Inline(Vec<u8>),
    Command(Command),
}

/// A command with its argument words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    pub args: Vec<Vec<u8>>,
    /// The shell command after `|` that receives the command's output.
    pub pipe: Option<Vec<u8>>,
}

/// A parsed line: what it asks for, or the message of its syntax error (already worded, without
/// the `guestfish: ` prefix); and whether a `-` prefix asked to ignore its failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub ignore_errors: bool,
    pub line: Result<Line, String>,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// C's `isspace`, which the command's leading space skip uses.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Splits a line. `expand_home` does `~` expansion of bare words starting with `~`.
pub fn parse(buf: &[u8]) -> Parsed {
    let mut ignore_errors = false;
    let mut p = 0;
    loop {
        while p < buf.len() && is_c_space(buf[p]) {
            p += 1;
        }
        match buf.get(p) {
            None | Some(b'#') => {
                return Parsed {
                    ignore_errors,
                    line: Ok(Line::Nothing),
                }
            }
            Some(b'!') => {
                return Parsed {
                    ignore_errors,
                    line: Ok(Line::Shell(buf[p + 1..].to_vec())),
                }
            }
            Some(b'<') if buf.get(p + 1) == Some(&b'!') => {
                return Parsed {
                    ignore_errors,
                    line: Ok(Line::Inline(buf[p + 2..].to_vec())),
                }
            }
            Some(b'-') => {
                ignore_errors = true;
                p += 1;
            }
            Some(_) => break,
        }
    }
    Parsed {
        ignore_errors,
        line: parse_command(&buf[p..]),
    }
}

/// The command word and its arguments (`buf` starts at the command word).
fn parse_command(buf: &[u8]) -> Result<Line, String> {
    let name_len = buf.iter().position(|&c| is_blank(c)).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..name_len]).into_owned();
    let mut args: Vec<Vec<u8>> = Vec::new();
    let mut pipe = None;
    let mut p = name_len;
    if p < buf.len() {
        p += 1;
    }
    while p < buf.len() && is_blank(buf[p]) {
        p += 1;
    }
    while p < buf.len() && args.len() <= MAX_ARGS {
        let (word, next) = match buf[p] {
            b'"' => {
                let (word, close) = unquote_double(&buf[p + 1..])?;
                let after = p + 1 + close + 1;
                (word, end_of_quoted(buf, after)?)
            }
            b'\'' => {
                let start = p + 1;
                let Some(len) = buf[start..].iter().position(|&c| c == b'\'') else {
                    return Err("unterminated single quote".into());
                };
                let after = start + len + 1;
                (buf[start..start + len].to_vec(), end_of_quoted(buf, after)?)
            }
            b'|' => {
                pipe = Some(buf[p + 1..].to_vec());
                break;
            }
            _ => {
                let len = buf[p..]
                    .iter()
                    .position(|&c| is_blank(c))
                    .unwrap_or(buf.len() - p);
                let word = &buf[p..p + len];
                let word = if word.first() == Some(&b'~') {
                    expand_tilde(word)
                } else {
                    word.to_vec()
                };
                (word, (p + len + 1).min(buf.len()))
            }
        };
        args.push(word);
        p = next;
        while p < buf.len() && is_blank(buf[p]) {
            p += 1;
        }
    }
    if args.len() > MAX_ARGS {
        return Err("too many arguments".into());
    }
    Ok(Line::Command(Command { name, args, pipe }))
}

/// After a closing quote: the next byte must be a blank or the end of the line; returns where
/// the next argument may start.
fn end_of_quoted(buf: &[u8], after: usize) -> Result<usize, String> {
    match buf.get(after) {
        None => Ok(after),
        Some(&c) if is_blank(c) => Ok(after + 1),
        Some(_) => Err("command arguments not separated by whitespace".into()),
    }
}

/// The contents of a double-quoted string (`s` starts after the opening quote): the decoded
/// bytes and the index of the closing quote in `s`.
fn unquote_double(s: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() && s[i] != b'"' {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        // 1.48 reports the offset in the string as already decoded.
        let bad = || {
            format!(
                "invalid escape sequence in string (starting at offset {})",
                out.len()
            )
        };
        let next = s.get(i + 1).copied();
        let (byte, used) = match next {
            Some(b'\\') => (b'\\', 1),
            Some(b'a') => (0x07, 1),
            Some(b'b') => (0x08, 1),
            Some(b'f') => (0x0c, 1),
            Some(b'n') => (b'\n', 1),
            Some(b'r') => (b'\r', 1),
            Some(b't') => (b'\t', 1),
            Some(b'v') => (0x0b, 1),
            Some(b'"') => (b'"', 1),
            Some(b'\'') => (b'\'', 1),
            Some(b'?') => (b'?', 1),
            Some(d @ b'0'..=b'7') => {
                let octal = |c: Option<&u8>| c.filter(|c| (b'0'..=b'7').contains(*c)).copied();
                match (octal(s.get(i + 2)), octal(s.get(i + 3))) {
                    (Some(d2), Some(d3)) => {
                        let v =
                            (d - b'0') as u32 * 64 + (d2 - b'0') as u32 * 8 + (d3 - b'0') as u32;
                        if !(1..=255).contains(&v) {
                            return Err(bad());
                        }
                        (v as u8, 3)
                    }
                    _ => return Err(bad()),
                }
            }
            Some(b'x') => {
                let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
                match (hex(s.get(i + 2)), hex(s.get(i + 3))) {
                    (Some(h1), Some(h2)) => {
                        let v = h1 * 16 + h2;
                        if v == 0 {
                            return Err(bad());
                        }
                        (v as u8, 3)
                    }
                    _ => return Err(bad()),
                }
            }
            _ => return Err(bad()),
        };
        out.push(byte);
        i += 1 + used;
    }
    if i >= s.len() {
        return Err("unterminated double quote".into());
    }
    Ok((out, i))
}

/// `~`, `~/path`, `~user`, `~user/path`: the home directory (of `$HOME`, or of the current user
/// in the password file when `HOME` is unset, or of `user`) then the rest. A user that does not
/// exist leaves the word unchanged.
fn expand_tilde(word: &[u8]) -> Vec<u8> {
    let rest_at = word.iter().position(|&c| c == b'/').unwrap_or(word.len());
    let user = &word[1..rest_at];
    let home = if user.is_empty() {
        match std::env::var_os("HOME") {
            Some(h) => Some(std::os::unix::ffi::OsStringExt::into_vec(h)),
            None => passwd_home(None),
        }
    } else {
        passwd_home(Some(user))
    };
    match home {
        Some(mut h) => {
            h.extend_from_slice(&word[rest_at..]);
            h
        }
        None => word.to_vec(),
    }
}

/// The home directory of `user` (or of the effective user) from the password database.
fn passwd_home(user: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let mut buf = vec![0 as libc::c_char; 16384];
    // SAFETY: getpwnam_r/getpwuid_r write into `pwd` and `buf`, which outlive the call; the
    // returned pointers point into `buf`, read before it is dropped.
    let rc = unsafe {
        match user {
            Some(name) => {
                let name = std::ffi::CString::new(name).ok()?;
                libc::getpwnam_r(
                    name.as_ptr(),
                    &mut pwd,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut result,
                )
            }
            None => libc::getpwuid_r(
                libc::geteuid(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            ),
        }
    };
    if rc != 0 || result.is_null() || pwd.pw_dir.is_null() {
        return None;
    }
    // SAFETY: pw_dir is a NUL-terminated string inside `buf`.
    let dir = unsafe { std::ffi::CStr::from_ptr(pwd.pw_dir) };
    Some(dir.to_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(line: &str) -> Command {
        match parse(line.as_bytes()).line {
            Ok(Line::Command(c)) => c,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn err(line: &str) -> String {
        parse(line.as_bytes()).line.unwrap_err()
    }

    fn words(c: &Command) -> Vec<String> {
        c.args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    #[test]
    fn words_and_quotes() {
        let c = cmd(r#"echo 'single $HOME "x"' "double \t tab" plain\ word"#);
        assert_eq!(c.name, "echo");
        assert_eq!(
            words(&c),
            ["single $HOME \"x\"", "double \t tab", "plain\\", "word"]
        );
        let c = cmd(r#"echo "\x41\101\t|" 'x\n' a|b |cat -A"#);
        assert_eq!(words(&c), ["AA\t|", "x\\n", "a|b"]);
        assert_eq!(c.pipe.as_deref(), Some(&b"cat -A"[..]));
        assert_eq!(words(&cmd("  ls\t/  ")), ["/"]);
        assert!(cmd("run").args.is_empty());
        assert_eq!(words(&cmd(r#"echo "" ''"#)), ["", ""]);
    }

    #[test]
    fn prefixes_and_specials() {
        assert_eq!(parse(b"   ").line, Ok(Line::Nothing));
        assert_eq!(parse(b"# x").line, Ok(Line::Nothing));
        let p = parse(b"--!false");
        assert!(p.ignore_errors);
        assert_eq!(p.line, Ok(Line::Shell(b"false".to_vec())));
        assert_eq!(
            parse(b"<!echo x").line,
            Ok(Line::Inline(b"echo x".to_vec()))
        );
        let p = parse(b"-echo \"x");
        assert!(p.ignore_errors);
        assert_eq!(p.line.unwrap_err(), "unterminated double quote");
    }

    #[test]
    fn syntax_errors_like_1_48() {
        for line in [r#"echo "a\x00b""#, r#"echo "a\400b""#, r#"echo "a\q""#] {
            assert_eq!(
                err(line),
                "invalid escape sequence in string (starting at offset 1)"
            );
        }
        assert_eq!(
            err(r#"echo "\t\t\x4""#),
            "invalid escape sequence in string (starting at offset 2)"
        );
        assert_eq!(err("echo 'abc"), "unterminated single quote");
        assert_eq!(
            err(r#"echo "a"b"#),
            "command arguments not separated by whitespace"
        );
        assert_eq!(
            err("echo 'a'b"),
            "command arguments not separated by whitespace"
        );
        let many = format!("echo {}", vec!["x"; 63].join(" "));
        assert_eq!(cmd(&many).args.len(), 63);
        assert_eq!(err(&format!("{} y", many)), "too many arguments");
    }

    #[test]
    fn tilde() {
        std::env::set_var("HOME", "/home/test");
        assert_eq!(
            words(&cmd("echo ~ ~/x '~' a~")),
            ["/home/test", "/home/test/x", "~", "a~"]
        );
        assert_eq!(words(&cmd("echo ~root/y")), ["/root/y"]);
        assert_eq!(words(&cmd("echo ~nosuchuser-xyz/y")), ["~nosuchuser-xyz/y"]);
    }
}

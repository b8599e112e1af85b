//! The words of a command turned into the typed arguments of an action, as 1.48's generated
//! `run_*` functions read them: counts, integers (`xstrtoll` with suffixes), booleans, string
//! lists (a mini shell), optional strings, FileIn `-` and `-<<END` here-documents, FileOut `-`,
//! passphrases from the terminal, `win:` paths, and `name:value` optional arguments.

use super::numbers::xstrtoll;
use super::session::{error, perror, stderr_line, Fish};
use crate::common::keys;
pub use crate::common::lines::{read_line_bounded, LONG_LINE};
use guestfs::protocol::meta::{Action, ArgType, OptArgType, StrKind};
use guestfs::Value;
use std::io::{BufRead, Write};

/// Why the words could not become arguments.
#[derive(Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// Too few or too many words: the caller prints the usage.
    WrongCount,
    /// One argument was bad; its message is printed.
    Bad,
}

/// The arguments of one call, and the here-document file to remove after it.
pub struct CallArgs {
    pub args: Vec<Value>,
    pub optargs: Vec<(usize, Value)>,
    heredoc: Option<std::path::PathBuf>,
}

impl Drop for CallArgs {
    fn drop(&mut self) {
        if let Some(p) = self.heredoc.take() {
            if let Err(e) = std::fs::remove_file(&p) {
                perror(&p.to_string_lossy(), &e);
            }
        }
    }
}

/// How many words an action takes: its required arguments except passphrases (prompted
/// for), plus up to one word per optional argument.
pub fn word_counts(action: &Action) -> (usize, usize) {
    let required = action
        .args
        .iter()
        .filter(|a| a.ty != ArgType::Str(StrKind::Key))
        .count();
    (required, required + action.optargs.len())
}

fn api_string(word: &[u8]) -> String {
    guestfs::protocol::lossless::string_of(word).into_owned()
}

/// Parses `words` for `action` (`cmd` is the name as typed, used in messages).
pub fn parse(
    fish: &mut Fish,
    action: &'static Action,
    cmd: &str,
    words: &[Vec<u8>],
) -> Result<CallArgs, ArgsError> {
    let (min, max) = word_counts(action);
    if words.len() < min || words.len() > max {
        return Err(ArgsError::WrongCount);
    }
    let mut call = CallArgs {
        args: Vec::with_capacity(action.args.len()),
        optargs: Vec::new(),
        heredoc: None,
    };
    let mut next = 0;
    for arg in action.args {
        let value = match arg.ty {
            ArgType::Str(StrKind::Key) => {
                let key = read_key(fish, arg.name).ok_or(ArgsError::Bad)?;
                if fish.settings.keys_from_stdin {
                    fish.input.next_line();
                }
                Value::Str(key)
            }
            ty => {
                let word = &words[next];
                next += 1;
                required_value(fish, cmd, arg.name, ty, word, &mut call)?
            }
        };
        call.args.push(value);
    }
    for word in &words[next..] {
        let (index, value) = optional_value(action, cmd, word)?;
        if call.optargs.iter().any(|(i, _)| *i == index) {
            stderr_line(&format!(
                "{}: optional argument \"{}\" given more than once",
                cmd, action.optargs[index].name
            ));
            return Err(ArgsError::Bad);
        }
        call.optargs.push((index, value));
    }
    Ok(call)
}

fn required_value(
    fish: &mut Fish,
    cmd: &str,
    name: &str,
    ty: ArgType,
    word: &[u8],
    call: &mut CallArgs,
) -> Result<Value, ArgsError> {
    Ok(match ty {
        ArgType::Str(StrKind::Pathname | StrKind::DevOrPath | StrKind::MountableOrPath) => {
            Value::Str(win_prefix(fish, &api_string(word)).ok_or(ArgsError::Bad)?)
        }
        ArgType::Str(StrKind::FileIn) => {
            let (name, heredoc) = file_in(fish, &api_string(word)).ok_or(ArgsError::Bad)?;
            call.heredoc = heredoc;
            Value::Str(name)
        }
        ArgType::Str(StrKind::FileOut) => Value::Str(file_out(&api_string(word))),
        ArgType::Str(_) => Value::Str(api_string(word)),
        ArgType::OptString if word.is_empty() => Value::OptStr(None),
        ArgType::OptString => Value::OptStr(Some(api_string(word))),
        ArgType::BufferIn => Value::Buffer(word.to_vec()),
        ArgType::StringList(_) => {
            Value::List(string_list(&api_string(word)).ok_or(ArgsError::Bad)?)
        }
        ArgType::Bool => Value::Bool(boolean(&api_string(word)).ok_or(ArgsError::Bad)?),
        ArgType::Int => {
            Value::Int(integer(cmd, name, &api_string(word), true).ok_or(ArgsError::Bad)?)
        }
        ArgType::Int64 => {
            Value::Int(integer(cmd, name, &api_string(word), false).ok_or(ArgsError::Bad)?)
        }
        // Actions with pointer arguments are not guestfish commands.
        ArgType::Pointer => return Err(ArgsError::Bad),
    })
}

/// `name:value`: which optional argument, and its value.
fn optional_value(action: &Action, cmd: &str, word: &[u8]) -> Result<(usize, Value), ArgsError> {
    let word = api_string(word);
    let found = action.optargs.iter().enumerate().find_map(|(i, o)| {
        word.strip_prefix(o.name)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(|value| (i, o, value))
    });
    let Some((index, opt, value)) = found else {
        stderr_line(&format!("{}: unknown optional argument \"{}\"", cmd, word));
        return Err(ArgsError::Bad);
    };
    // 1.48 names the C field in its integer messages.
    let field = format!("optargs_s.{}", opt.name);
    let v = match opt.ty {
        OptArgType::Bool => Value::Bool(boolean(value).ok_or(ArgsError::Bad)?),
        OptArgType::Int => Value::Int(integer(cmd, &field, value, true).ok_or(ArgsError::Bad)?),
        OptArgType::Int64 => Value::Int(integer(cmd, &field, value, false).ok_or(ArgsError::Bad)?),
        OptArgType::String => Value::Str(value.to_string()),
        OptArgType::StringList => Value::List(string_list(value).ok_or(ArgsError::Bad)?),
    };
    Ok((index, v))
}

/// libguestfs's `is_true`: the accepted spellings of a boolean.
pub fn parse_bool(s: &str) -> Option<bool> {
    const TRUE: [&str; 6] = ["1", "true", "t", "yes", "y", "on"];
    const FALSE: [&str; 6] = ["0", "false", "f", "no", "n", "off"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(s)) {
        Some(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(s)) {
        Some(false)
    } else {
        None
    }
}

fn boolean(s: &str) -> Option<bool> {
    let b = parse_bool(s);
    if b.is_none() {
        error(&format!(
            "'{}': invalid boolean value, use 'true' or 'false'",
            s
        ));
    }
    b
}

/// An `Int` (31-bit signed range, `int32` = true) or `Int64` argument.
fn integer(cmd: &str, name: &str, s: &str, int32: bool) -> Option<i64> {
    match xstrtoll(s) {
        Err(code) => {
            stderr_line(&format!(
                "{}: {}: invalid integer parameter (xstrtoll returned {})",
                cmd, name, code
            ));
            None
        }
        Ok(v) if int32 && i32::try_from(v).is_err() => {
            stderr_line(&format!("{}: {}: integer out of range", cmd, name));
            None
        }
        Ok(v) => Some(v),
    }
}

/// A string list from one word, split like a small shell: blanks separate tokens, single quotes
/// group (also in the middle of a token), `\'` is a literal quote. An unbalanced quote is an
/// error.
pub fn string_list(s: &str) -> Option<Vec<String>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut p = 0;
    while p < b.len() {
        while p < b.len() && (b[p] == b' ' || b[p] == b'\t') {
            p += 1;
        }
        let mut token: Option<Vec<u8>> = None;
        let mut in_quote = false;
        while p < b.len() && (in_quote || !(b[p] == b' ' || b[p] == b'\t')) {
            if b[p] == b'\'' {
                in_quote = !in_quote;
                p += 1;
            }
            let stop: &[u8] = if in_quote { b"'" } else { b" \t'" };
            let end = b[p..]
                .iter()
                .position(|c| stop.contains(c))
                .map_or(b.len(), |n| p + n);
            let t = token.get_or_insert_with(Vec::new);
            if end < b.len() && b[end] == b'\'' && end != p && b[end - 1] == b'\\' {
                // `\'`: the fragment before the backslash, then a literal quote.
                t.extend_from_slice(&b[p..end - 1]);
                t.push(b'\'');
                p = end + 1;
            } else {
                t.extend_from_slice(&b[p..end]);
                p = end;
            }
        }
        if in_quote {
            stderr_line(&format!("Runaway quote in string \"{}\"", s));
            return None;
        }
        if let Some(t) = token {
            out.push(guestfs::protocol::lossless::string_from(t));
        }
    }
    Some(out)
}

/// A FileOut argument: `-` is standard output.
fn file_out(word: &str) -> String {
    if word == "-" {
        "/dev/stdout".to_string()
    } else {
        word.to_string()
    }
}

/// A FileIn argument: `-` is standard input, `-<<END` a here-document read from the input up
/// to a line `END` into a temporary file (returned to be removed after the call).
fn file_in(fish: &mut Fish, word: &str) -> Option<(String, Option<std::path::PathBuf>)> {
    if word == "-" {
        return Some(("/dev/stdin".to_string(), None));
    }
    let Some(marker) = word.strip_prefix("-<<") else {
        return Some((word.to_string(), None));
    };
    if marker.is_empty() {
        error("missing end marker in -<< expression");
        return None;
    }
    let tmpdir = fish.g.get_tmpdir().ok()?;
    let (mut file, path) = match super::tempfile::create(&tmpdir, "guestfish") {
        Ok(f) => f,
        Err(e) => {
            perror("mkstemp", &e);
            return None;
        }
    };
    let mut write_failed = false;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    loop {
        let chunk = match read_chunk(&mut input) {
            Ok(Some(c)) => c,
            Ok(None) => {
                error(&format!(
                    "end of input reached without finding '{}'",
                    marker
                ));
                let _ = std::fs::remove_file(&path);
                return None;
            }
            Err(e) => {
                perror("read", &e);
                let _ = std::fs::remove_file(&path);
                return None;
            }
        };
        let body = chunk.strip_suffix(b"\n").unwrap_or(&chunk);
        if body == marker.as_bytes() {
            break;
        }
        if !write_failed {
            if let Err(e) = file.write_all(&chunk) {
                perror("write", &e);
                write_failed = true;
            }
        }
    }
    if write_failed {
        let _ = std::fs::remove_file(&path);
        return None;
    }
    let name = path.to_string_lossy().into_owned();
    Some((name, Some(path)))
}

/// What C's `fgets` with an 8 KiB buffer returns: up to and including the next newline, or
/// 8191 bytes, or what is left at the end of input (`None` at the end).
pub fn read_chunk(input: &mut dyn BufRead) -> std::io::Result<Option<Vec<u8>>> {
    read_line_bounded(input, 8191)
}

/// Reads a passphrase for argument `name` ([`keys::read_key`]); failures are printed as
/// 1.48's guestfish prints them.
pub fn read_key(fish: &mut Fish, name: &str) -> Option<String> {
    match keys::read_key(name, fish.settings.keys_from_stdin, fish.settings.echo_keys) {
        Ok(Some(key)) => Some(key),
        Ok(None) => {
            stderr_line("getline: Success");
            None
        }
        Err(e) => {
            perror("getline", &e);
            None
        }
    }
}

/// The `win:` prefix of path arguments: `win:` alone is `/`, `win:X:\path` finds drive X among
/// the inspected Windows guest's drive letters and its mountpoint; backslashes become slashes
/// and the case is resolved in the guest. Other paths are unchanged.
pub fn win_prefix(fish: &mut Fish, path: &str) -> Option<String> {
    let Some(rest) = path
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("win:"))
        .map(|_| &path[4..])
    else {
        return Some(path.to_string());
    };
    let b = rest.as_bytes();
    let resolved = if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        win_drive_letter(fish, (b[0] as char).to_ascii_lowercase(), &rest[2..])?
    } else if rest.is_empty() {
        "/".to_string()
    } else {
        rest.to_string()
    };
    fish.g
        .case_sensitive_path(&resolved.replace('\\', "/"))
        .ok()
}

fn win_drive_letter(fish: &mut Fish, letter: char, path: &str) -> Option<String> {
    let roots = fish.g.inspect_get_roots().ok()?;
    let Some(root) = roots.first() else {
        error("to use Windows drive letters, you must inspect the guest (\"-i\" option or run \"inspect-os\" command)");
        return None;
    };
    let drives = fish.g.inspect_get_drive_mappings(root).ok();
    let Some(drives) = drives.filter(|d| !d.is_empty()) else {
        error("to use Windows drive letters, this must be a Windows guest");
        return None;
    };
    let device = drives.iter().find_map(|(l, dev)| {
        let mut chars = l.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.to_ascii_lowercase() == letter => Some(dev.clone()),
            _ => None,
        }
    });
    let Some(device) = device else {
        error(&format!(
            "drive '{}:' not found.  To list available drives do:\n  inspect-get-drive-mappings {}",
            letter, root
        ));
        return None;
    };
    let mountpoints = fish.g.mountpoints().ok()?;
    let Some(mountpoint) = mountpoints
        .iter()
        .find(|(dev, _)| *dev == device)
        .map(|(_, mp)| mp.clone())
    else {
        error(&format!(
            "to access '{}:', mount {} first.  One way to do this is:\n  umount-all\n  mount {} /",
            letter, device, device
        ));
        return None;
    };
    let sep = if mountpoint == "/" { "" } else { "/" };
    Some(format!("{}{}{}", mountpoint, sep, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_lists_like_1_48() {
        let l = |s: &str| string_list(s).unwrap();
        assert_eq!(l("lvm2 xz"), ["lvm2", "xz"]);
        assert_eq!(l(""), Vec::<String>::new());
        assert_eq!(l("  a\t b  "), ["a", "b"]);
        assert_eq!(l("'a b' c"), ["a b", "c"]);
        assert_eq!(l("x'y z'w"), ["xy zw"]);
        assert_eq!(l(r"it\'s"), ["it's"]);
        assert_eq!(l("''"), [""]);
        assert_eq!(l("\"a b\""), ["\"a", "b\""]);
        assert!(string_list("'lvm2 xz").is_none());
    }

    #[test]
    fn booleans() {
        for t in ["yes", "on", "1", "TRUE", "t", "Y"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["no", "OFF", "0", "false", "F", "n"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_bool(""), None);
    }

    #[test]
    fn chunks_like_fgets() {
        let data = [b"ab\n".to_vec(), vec![b'x'; 9000], b"\nend".to_vec()].concat();
        let mut r = std::io::BufReader::with_capacity(100, &data[..]);
        assert_eq!(read_chunk(&mut r).unwrap().unwrap(), b"ab\n");
        assert_eq!(read_chunk(&mut r).unwrap().unwrap().len(), 8191);
        assert_eq!(read_chunk(&mut r).unwrap().unwrap().len(), 810);
        assert_eq!(read_chunk(&mut r).unwrap().unwrap(), b"end");
        assert_eq!(read_chunk(&mut r).unwrap(), None);
    }
}

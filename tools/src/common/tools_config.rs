//! The configuration files (libconfig syntax) whose only setting is `read_only = true;`:
//! `/etc/libguestfs-tools.conf`, then `libguestfs/libguestfs-tools.conf` in each of
//! `$XDG_CONFIG_DIRS` (last first, default `/etc/xdg`), then `$HOME/.libguestfs-tools.rc`, then
//! `$XDG_CONFIG_HOME/libguestfs/libguestfs-tools.conf` (default `$HOME/.config/…`). Later files
//! override earlier ones; a file that cannot be parsed ends the tool (guestfish, guestmount,
//! virt-rescue).

const NAME: &str = "libguestfs-tools.conf";

/// The files, in reading order.
fn files() -> Vec<String> {
    let mut out = vec![format!("/etc/{}", NAME)];
    let dirs = std::env::var("XDG_CONFIG_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/etc/xdg".to_string());
    let dirs: Vec<&str> = dirs.split(':').filter(|d| !d.is_empty()).collect();
    for d in dirs.iter().rev() {
        out.push(format!("{}/libguestfs/{}", d, NAME));
    }
    if let Ok(home) = std::env::var("HOME") {
        out.push(format!("{}/.libguestfs-tools.rc", home));
        match std::env::var("XDG_CONFIG_HOME") {
            Ok(x) => out.push(format!("{}/libguestfs/{}", x, NAME)),
            Err(_) => out.push(format!("{}/.config/libguestfs/{}", home, NAME)),
        }
    }
    out
}

/// `read_only` after every configuration file (`default` when none sets it). The error is the
/// message to print after `guestfish: `.
pub fn read_only(default: bool) -> Result<bool, String> {
    let mut value = default;
    for f in files() {
        let Ok(text) = std::fs::read(&f) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text);
        match parse(&text) {
            Ok(settings) => {
                if let Some(Value::Bool(b)) = settings
                    .into_iter()
                    .rev()
                    .find(|(n, _)| n == "read_only")
                    .map(|(_, v)| v)
                {
                    value = b;
                }
            }
            Err((line, what)) => {
                return Err(format!(
                    "{}: line {}: error parsing configuration file: {}",
                    f, line, what
                ))
            }
        }
    }
    Ok(value)
}

/// A top-level setting's value (only booleans matter here).
#[derive(Debug, PartialEq)]
enum Value {
    Bool(bool),
    Other,
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
}

type ParseResult<T> = Result<T, (usize, String)>;

impl Lexer<'_> {
    fn syntax_error<T>(&self) -> ParseResult<T> {
        Err((self.line, "syntax error".to_string()))
    }

    /// Skips blanks and comments (`#`, `//`, `/* */`).
    fn skip(&mut self) {
        loop {
            match self.s.get(self.i) {
                Some(b'\n') => {
                    self.line += 1;
                    self.i += 1;
                }
                Some(c) if c.is_ascii_whitespace() => self.i += 1,
                Some(b'#') => self.skip_line(),
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => self.skip_line(),
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    self.i += 2;
                    while self.i < self.s.len() && !self.s[self.i..].starts_with(b"*/") {
                        if self.s[self.i] == b'\n' {
                            self.line += 1;
                        }
                        self.i += 1;
                    }
                    self.i = (self.i + 2).min(self.s.len());
                }
                _ => return,
            }
        }
    }

    fn skip_line(&mut self) {
        while self.i < self.s.len() && self.s[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip();
        self.s.get(self.i).copied()
    }

    fn name(&mut self) -> ParseResult<String> {
        self.skip();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || b"_-*".contains(c))
        {
            self.i += 1;
        }
        if start == self.i || !self.s[start].is_ascii_alphabetic() && self.s[start] != b'*' {
            return self.syntax_error();
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn string(&mut self) -> ParseResult<()> {
        // One or more adjacent "…" strings with backslash escapes.
        while self.peek() == Some(b'"') {
            self.i += 1;
            loop {
                match self.s.get(self.i) {
                    None | Some(b'\n') => return self.syntax_error(),
                    Some(b'\\') => self.i += 2,
                    Some(b'"') => {
                        self.i += 1;
                        break;
                    }
                    Some(_) => self.i += 1,
                }
            }
        }
        Ok(())
    }

    fn value(&mut self) -> ParseResult<Value> {
        match self.peek() {
            Some(b'"') => self.string().map(|()| Value::Other),
            Some(b'{') => {
                self.i += 1;
                self.settings(Some(b'}'))?;
                Ok(Value::Other)
            }
            Some(open @ (b'[' | b'(')) => {
                let close = if open == b'[' { b']' } else { b')' };
                self.i += 1;
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Ok(Value::Other);
                }
                loop {
                    self.value()?;
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(c) if c == close => {
                            self.i += 1;
                            return Ok(Value::Other);
                        }
                        _ => return self.syntax_error(),
                    }
                }
            }
            Some(_) => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || b"+-._".contains(c))
                {
                    self.i += 1;
                }
                let word = String::from_utf8_lossy(&self.s[start..self.i]).to_ascii_lowercase();
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    w if !w.is_empty()
                        && (w.parse::<f64>().is_ok()
                            || w.trim_end_matches('l').parse::<i64>().is_ok()
                            || w.starts_with("0x")
                                && i64::from_str_radix(w[2..].trim_end_matches('l'), 16)
                                    .is_ok()) =>
                    {
                        Ok(Value::Other)
                    }
                    _ => self.syntax_error(),
                }
            }
            None => self.syntax_error(),
        }
    }

    /// `name = value;` settings up to `end` (or the end of the file).
    fn settings(&mut self, end: Option<u8>) -> ParseResult<Vec<(String, Value)>> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None if end.is_none() => return Ok(out),
                None => return self.syntax_error(),
                Some(c) if Some(c) == end => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(_) => {}
            }
            let name = self.name()?;
            match self.peek() {
                Some(b'=' | b':') => self.i += 1,
                _ => return self.syntax_error(),
            }
            let v = self.value()?;
            if let Some(b';' | b',') = self.peek() {
                self.i += 1;
            }
            out.push((name, v));
        }
    }
}

/// The top-level settings of a libconfig file, or (line, message) of the first error.
fn parse(text: &str) -> Result<Vec<(String, Value)>, (usize, String)> {
    Lexer {
        s: text.as_bytes(),
        i: 0,
        line: 1,
    }
    .settings(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libconfig_subset() {
        let s = parse("# guestfish\nread_only = true;\n").unwrap();
        assert_eq!(s, vec![("read_only".to_string(), Value::Bool(true))]);
        let s =
            parse("/* c */ other : \"x\" \"y\"; g = { a = 1; b = [1, 2]; };\nread_only=False\n")
                .unwrap();
        assert_eq!(
            s.last().unwrap(),
            &("read_only".to_string(), Value::Bool(false))
        );
        assert_eq!(parse("read_only = ;\n").unwrap_err().0, 1);
        assert_eq!(parse("\n\nread_only true;").unwrap_err().0, 3);
        assert_eq!(parse("").unwrap(), vec![]);
    }
}

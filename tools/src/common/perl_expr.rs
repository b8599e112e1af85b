//! The Perl expressions `virt-edit -e` accepts, run without Perl. 1.48 evaluates any Perl
//! code once per line of the file with the line (its newline included) in `$_`; this module
//! runs the forms people use on lines that way: substitutions `s/PATTERN/REPLACEMENT/FLAGS`
//! (flags g, i, m, s, x; `$1`, `${1}`, `$&` and `\1` in the replacement) and
//! transliterations `y/SEARCH/REPLACE/` (or `tr`), optionally written `$_ =~ …`, several of
//! them separated by `;`. Patterns are translated to the `regex` crate's syntax with Perl's
//! meaning on bytes; anything whose meaning would differ (look-around, back-references in a
//! pattern, variables, `/e`, case-changing escapes…) is refused with the reason.

use regex::bytes::{Captures, Regex};

/// A parsed `-e` expression: its statements in order.
#[derive(Debug)]
pub struct Expr(Vec<Statement>);

#[derive(Debug)]
enum Statement {
    Substitute {
        pattern: Regex,
        replacement: Vec<Piece>,
        global: bool,
    },
    Transliterate(Box<[u8; 256]>),
}

/// A part of a substitution's replacement.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    /// `$N` (`$&` is group 0); a group that did not take part is empty, as in Perl.
    Group(usize),
}

impl Expr {
    /// Parses `text`; Err is the reason it is not supported, for a one-line message.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let mut statements = Vec::new();
        loop {
            p.skip_blanks();
            if p.at_end() {
                break;
            }
            if p.eat(b";") {
                continue;
            }
            statements.push(p.statement()?);
            p.skip_blanks();
            if !p.at_end() && !p.eat(b";") {
                return Err(format!(
                    "unexpected ‘{}’ after a statement",
                    String::from_utf8_lossy(&p.s[p.i..])
                ));
            }
        }
        if statements.is_empty() {
            return Err("there is no s/// or y/// in it".to_string());
        }
        Ok(Expr(statements))
    }

    /// The file's new contents: every line (with its newline, as Perl reads it) run through
    /// the statements.
    pub fn edit(&self, contents: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(contents.len());
        for line in contents.split_inclusive(|&b| b == b'\n') {
            let mut line = line.to_vec();
            for st in &self.0 {
                line = st.apply(line);
            }
            out.extend_from_slice(&line);
        }
        out
    }
}

impl Statement {
    fn apply(&self, line: Vec<u8>) -> Vec<u8> {
        match self {
            Statement::Transliterate(map) => line.iter().map(|&b| map[b as usize]).collect(),
            Statement::Substitute {
                pattern,
                replacement,
                global,
            } => {
                let mut out = Vec::with_capacity(line.len());
                let mut last = 0;
                let expand = |caps: &Captures, out: &mut Vec<u8>| {
                    for piece in replacement {
                        match piece {
                            Piece::Literal(b) => out.extend_from_slice(b),
                            Piece::Group(n) => {
                                if let Some(m) = caps.get(*n) {
                                    out.extend_from_slice(m.as_bytes())
                                }
                            }
                        }
                    }
                };
                for caps in pattern.captures_iter(&line) {
                    let whole = caps.get(0).expect("group 0 always matches");
                    out.extend_from_slice(&line[last..whole.start()]);
                    expand(&caps, &mut out);
                    last = whole.end();
                    if !global {
                        break;
                    }
                }
                out.extend_from_slice(&line[last..]);
                out
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

/// The closing delimiter of a bracketing opening one.
fn closing(open: u8) -> Option<u8> {
    match open {
        b'(' => Some(b')'),
        b'[' => Some(b']'),
        b'{' => Some(b'}'),
        b'<' => Some(b'>'),
        _ => None,
    }
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, word: &[u8]) -> bool {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn statement(&mut self) -> Result<Statement, String> {
        if self.eat(b"$_") {
            self.skip_blanks();
            if !self.eat(b"=~") {
                return Err("only ‘$_ =~ s/…/…/’ or ‘$_ =~ y/…/…/’ may use $_".to_string());
            }
            self.skip_blanks();
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        let op = &self.s[start..self.i];
        match op {
            b"s" => self.substitution(),
            b"y" | b"tr" => self.transliteration(),
            _ => Err(format!(
                "‘{}’ is not s/// or y///",
                String::from_utf8_lossy(&self.s[start..])
            )),
        }
    }

    /// The opening delimiter after `s`, `y` or `tr`.
    fn delimiter(&mut self) -> Result<u8, String> {
        self.skip_blanks();
        match self.peek() {
            Some(b'\'') => Err("the ' delimiter (no interpolation) is not supported".to_string()),
            Some(c) if !c.is_ascii_alphanumeric() && c != b'_' && c.is_ascii() => {
                self.i += 1;
                Ok(c)
            }
            _ => Err("a delimiter is missing after the operator".to_string()),
        }
    }

    /// A part up to the closing delimiter (nested brackets counted). An escaped delimiter
    /// loses its backslash unless the delimiter means something in a pattern.
    fn part(&mut self, open: u8) -> Result<Vec<u8>, String> {
        let close = closing(open).unwrap_or(open);
        let mut depth = 0;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err("a delimiter is not closed".to_string());
            };
            self.i += 1;
            if c == b'\\' {
                let Some(n) = self.peek() else {
                    return Err("a delimiter is not closed".to_string());
                };
                self.i += 1;
                if (n == close || n == open) && !b"|.*+?^$()[]{}".contains(&n) {
                    out.push(n);
                } else {
                    out.extend_from_slice(&[b'\\', n]);
                }
                continue;
            }
            if c == close && depth == 0 {
                return Ok(out);
            }
            if open != close {
                if c == open {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                }
            }
            out.push(c);
        }
    }

    /// The second part: after a bracketed first part it has its own delimiters.
    fn second_part(&mut self, open: u8) -> Result<Vec<u8>, String> {
        if closing(open).is_some() {
            let open2 = self.delimiter()?;
            self.part(open2)
        } else {
            self.part(open)
        }
    }

    fn flags(&mut self) -> &[u8] {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    fn substitution(&mut self) -> Result<Statement, String> {
        let open = self.delimiter()?;
        let pattern = self.part(open)?;
        let replacement = self.second_part(open)?;
        let mut global = false;
        let mut inline = String::new();
        for &f in self.flags() {
            match f {
                b'g' => global = true,
                b'i' | b's' | b'x' => inline.push(f as char),
                // `^` and `$` of a line are the same with and without /m: see translate.
                b'm' => {}
                other => {
                    return Err(format!(
                        "the substitution flag ‘{}’ is not supported (only g, i, m, s, x)",
                        other as char
                    ))
                }
            }
        }
        let translated = translate_pattern(&pattern)?;
        // Perl's native strings are bytes: `.` is one byte, `\w` ASCII (the `regex`
        // crate's Unicode mode off).
        let pattern = Regex::new(&format!("(?{}-u){}", inline, translated)).map_err(|e| {
            let text = e.to_string();
            let reason = text.lines().last().unwrap_or("").trim();
            format!(
                "the pattern ‘{}’ is not supported ({})",
                String::from_utf8_lossy(&pattern),
                reason.trim_start_matches("error: ")
            )
        })?;
        Ok(Statement::Substitute {
            pattern,
            replacement: parse_replacement(&replacement)?,
            global,
        })
    }

    fn transliteration(&mut self) -> Result<Statement, String> {
        let open = self.delimiter()?;
        let search = tr_list(&self.part(open)?)?;
        let replace = tr_list(&self.second_part(open)?)?;
        if let Some(&f) = self.flags().first() {
            return Err(format!(
                "the transliteration flag ‘{}’ is not supported",
                f as char
            ));
        }
        // An empty list maps to itself; a short one repeats its last character.
        let replace = if replace.is_empty() {
            search.clone()
        } else {
            replace
        };
        let mut map = Box::new([0u8; 256]);
        for (b, slot) in map.iter_mut().enumerate() {
            *slot = b as u8;
        }
        let mut seen = [false; 256];
        for (k, &from) in search.iter().enumerate() {
            // The first occurrence of a character wins, as in Perl.
            if !seen[from as usize] {
                seen[from as usize] = true;
                map[from as usize] = *replace.get(k).unwrap_or(&replace[replace.len() - 1]);
            }
        }
        Ok(Statement::Transliterate(map))
    }
}

/// Perl's pattern as the `regex` crate writes it, for a subject that is one line ending in
/// at most one newline. There, Perl's `$` (and `\Z`) match at the end and before that final
/// newline, which is the `regex` crate's multi-line `$`; and `^` matches only at the start,
/// with or without /m (Perl's /m `^` does not match after a final newline).
fn translate_pattern(p: &[u8]) -> Result<String, String> {
    let mut out = Vec::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < p.len() {
        let c = p[i];
        match c {
            b'\\' => {
                let Some(&n) = p.get(i + 1) else {
                    return Err("the pattern ends with a backslash".to_string());
                };
                i += 2;
                if !in_class && n.is_ascii_digit() && n != b'0' {
                    return Err(format!(
                        "back-references in a pattern (\\{}) are not supported",
                        n as char
                    ));
                }
                match n {
                    b'Z' if !in_class => out.extend_from_slice(b"(?m:$)"),
                    b'v' | b'h' | b'V' | b'H' | b'R' | b'K' | b'G' | b'N' | b'X' | b'C' | b'Q'
                    | b'E' | b'u' | b'l' | b'U' | b'L' | b'g' | b'k' | b'o' | b'c' | b'e' => {
                        return Err(format!(
                            "the escape \\{} is not supported in a pattern",
                            n as char
                        ))
                    }
                    _ => out.extend_from_slice(&[b'\\', n]),
                }
                continue;
            }
            b'[' if !in_class => {
                in_class = true;
                out.push(c);
                i += 1;
                // A `]` (after an optional `^`) first in a class is a literal.
                if p.get(i) == Some(&b'^') {
                    out.push(b'^');
                    i += 1;
                }
                if p.get(i) == Some(&b']') {
                    out.extend_from_slice(b"\\]");
                    i += 1;
                }
                continue;
            }
            b'[' if in_class && p[i..].starts_with(b"[:") => {
                // A POSIX class, [:alpha:], inside a bracket expression.
                match p[i + 2..].windows(2).position(|w| w == b":]") {
                    Some(end) => {
                        out.extend_from_slice(&p[i..i + 2 + end + 2]);
                        i += 2 + end + 2;
                    }
                    None => {
                        out.extend_from_slice(b"\\[");
                        i += 1;
                    }
                }
                continue;
            }
            b'[' => out.extend_from_slice(b"\\["),
            b']' if in_class => {
                in_class = false;
                out.push(c);
            }
            b'$' if !in_class => match p.get(i + 1) {
                None | Some(b')') | Some(b'|') => out.extend_from_slice(b"(?m:$)"),
                Some(_) => {
                    return Err(format!(
                        "the pattern ‘{}’ interpolates a variable",
                        String::from_utf8_lossy(p)
                    ))
                }
            },
            b'@' if !in_class
                && p.get(i + 1)
                    .is_some_and(|n| n.is_ascii_alphanumeric() || b"_{$:".contains(n)) =>
            {
                return Err(format!(
                    "the pattern ‘{}’ interpolates an array",
                    String::from_utf8_lossy(p)
                ))
            }
            // Perl reads `{` that does not start a quantifier as a literal.
            b'{' if !in_class && !starts_quantifier(&p[i..]) => out.extend_from_slice(b"\\{"),
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "the pattern is not valid UTF-8".to_string())
}

/// True when `s` (starting with `{`) is a quantifier: `{N}`, `{N,}`, `{N,M}`.
fn starts_quantifier(s: &[u8]) -> bool {
    let Some(end) = s.iter().position(|&b| b == b'}') else {
        return false;
    };
    let inner = &s[1..end];
    let mut parts = inner.splitn(2, |&b| b == b',');
    let first = parts.next().unwrap_or_default();
    let second = parts.next();
    !first.is_empty()
        && first.iter().all(u8::is_ascii_digit)
        && second.is_none_or(|s| s.iter().all(u8::is_ascii_digit))
}

/// A replacement as Perl interpolates it (a double-quoted string).
fn parse_replacement(r: &[u8]) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut lit = Vec::new();
    let flush = |lit: &mut Vec<u8>, pieces: &mut Vec<Piece>| {
        if !lit.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(lit)));
        }
    };
    let mut i = 0;
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let group = |s: &[u8]| -> Result<usize, String> {
        std::str::from_utf8(s)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| "a group number is too large".to_string())
    };
    while i < r.len() {
        let c = r[i];
        match c {
            b'\\' => {
                let Some(&n) = r.get(i + 1) else {
                    return Err("the replacement ends with a backslash".to_string());
                };
                i += 2;
                match n {
                    b'n' => lit.push(b'\n'),
                    b't' => lit.push(b'\t'),
                    b'r' => lit.push(b'\r'),
                    b'f' => lit.push(0x0c),
                    b'a' => lit.push(0x07),
                    b'e' => lit.push(0x1b),
                    b'0' => lit.push(0),
                    b'1'..=b'9' => {
                        flush(&mut lit, &mut pieces);
                        pieces.push(Piece::Group((n - b'0') as usize));
                    }
                    n if n.is_ascii_alphanumeric() => {
                        return Err(format!(
                            "the escape \\{} is not supported in a replacement",
                            n as char
                        ))
                    }
                    n => lit.push(n),
                }
            }
            b'$' => {
                let rest = &r[i + 1..];
                let n = digits(rest);
                if n > 0 {
                    flush(&mut lit, &mut pieces);
                    pieces.push(Piece::Group(group(&rest[..n])?));
                    i += 1 + n;
                } else if rest.first() == Some(&b'&') {
                    flush(&mut lit, &mut pieces);
                    pieces.push(Piece::Group(0));
                    i += 2;
                } else if rest.first() == Some(&b'{')
                    && digits(&rest[1..]) > 0
                    && rest.get(1 + digits(&rest[1..])) == Some(&b'}')
                {
                    let n = digits(&rest[1..]);
                    flush(&mut lit, &mut pieces);
                    pieces.push(Piece::Group(group(&rest[1..1 + n])?));
                    i += 1 + n + 2;
                } else {
                    return Err(format!(
                        "the replacement ‘{}’ interpolates a variable (only $1…, ${{1}}, $& are supported)",
                        String::from_utf8_lossy(r)
                    ));
                }
            }
            b'@' if r
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || b"_{$:".contains(n)) =>
            {
                return Err(format!(
                    "the replacement ‘{}’ interpolates an array",
                    String::from_utf8_lossy(r)
                ))
            }
            _ => {
                lit.push(c);
                i += 1;
            }
        }
    }
    flush(&mut lit, &mut pieces);
    Ok(pieces)
}

/// A transliteration list with its ranges expanded and escapes read.
fn tr_list(s: &[u8]) -> Result<Vec<u8>, String> {
    let mut chars = Vec::new();
    let mut i = 0;
    // (byte, was escaped): an escaped `-` is not a range.
    let mut items: Vec<(u8, bool)> = Vec::new();
    while i < s.len() {
        if s[i] == b'\\' {
            let Some(&n) = s.get(i + 1) else {
                return Err("a transliteration list ends with a backslash".to_string());
            };
            let b = match n {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'0' => 0,
                b'\\' | b'-' => n,
                n if n.is_ascii_alphanumeric() => {
                    return Err(format!(
                        "the escape \\{} is not supported in a transliteration",
                        n as char
                    ))
                }
                n => n,
            };
            items.push((b, true));
            i += 2;
        } else {
            items.push((s[i], false));
            i += 1;
        }
    }
    let mut k = 0;
    while k < items.len() {
        let (b, _) = items[k];
        if k + 2 < items.len() && items[k + 1] == (b'-', false) {
            let end = items[k + 2].0;
            if end < b {
                return Err(format!(
                    "the range {}-{} is in reverse order",
                    b as char, end as char
                ));
            }
            chars.extend(b..=end);
            k += 3;
        } else {
            chars.push(b);
            k += 1;
        }
    }
    Ok(chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(expr: &str, input: &str) -> String {
        let e = Expr::parse(expr).unwrap_or_else(|e| panic!("{}: {}", expr, e));
        String::from_utf8(e.edit(input.as_bytes())).unwrap()
    }

    #[test]
    fn substitutions_with_flags_and_groups() {
        assert_eq!(run("s/o/0/", "foo\nboo\n"), "f0o\nb0o\n");
        assert_eq!(run("s/o/0/g", "foo\nboo\n"), "f00\nb00\n");
        assert_eq!(run("s/FOO/bar/i", "foo\n"), "bar\n");
        assert_eq!(run(r"s/^(\w+)=(\d+)$/$2=$1/", "a=1\nb=x\n"), "1=a\nb=x\n");
        assert_eq!(run(r"s/(\w+)/${1}s/g", "cat dog\n"), "cats dogs\n");
        assert_eq!(run(r"s/\w+/<$&>/", "cat dog\n"), "<cat> dog\n");
        assert_eq!(run(r"s/(a)/\1\1/", "a\n"), "aa\n");
        assert_eq!(run(r"s{a}{b}", "a\n"), "b\n");
        assert_eq!(run(r"s{a} {b}g", "aa\n"), "bb\n");
        assert_eq!(run(r"s|/usr|/opt|", "/usr/bin\n"), "/opt/bin\n");
        assert_eq!(run(r"s/\/usr/\/opt/", "/usr/bin\n"), "/opt/bin\n");
        assert_eq!(run("s/ a b /X/x", "ab\n"), "X\n");
        assert_eq!(run("s/a/\\t/; s/b/\\n/", "ab\n"), "\t\n\n");
        assert_eq!(run("$_ =~ s/a/b/", "a\n"), "b\n");
        // An unmatched group is empty, as in Perl.
        assert_eq!(run(r"s/(x)?a/[$1]/", "a\n"), "[]\n");
        assert_eq!(run("s/x*/-/g", "abc\n"), "-a-b-c-\n-");
    }

    #[test]
    fn line_semantics_are_perl_s() {
        // `$` matches before the line's newline; `\s` can take the newline itself.
        assert_eq!(run("s/$/;/", "a\nb"), "a;\nb;");
        assert_eq!(run(r"s/\s+$//", "a  \nb\n"), "ab");
        assert_eq!(run("s/^/# /", "a\nb\n"), "# a\n# b\n");
        assert_eq!(run("s/^/# /m", "a\n"), "# a\n");
        assert_eq!(run(r"s/\n//", "a\nb\n"), "ab");
        assert_eq!(run("s/a.b/X/", "a\nb\n"), "a\nb\n");
        assert_eq!(run(r"s/a\Z/X/", "a\n"), "X\n");
        assert_eq!(run(r"s/[^]a]/-/g", "]ab\n"), "]a--");
        assert_eq!(run(r"s/[[:digit:]]+/N/", "ab12\n"), "abN\n");
        assert_eq!(run(r"s/a{/b/", "a{\n"), "b\n");
        assert_eq!(run(r"s/a{2}/b/", "aaa\n"), "ba\n");
    }

    #[test]
    fn bytes_that_are_not_utf8_pass_through() {
        let e = Expr::parse("s/./X/").unwrap();
        assert_eq!(e.edit(b"\xff\xfe\n"), b"X\xfe\n");
        let e = Expr::parse("y/a/b/").unwrap();
        assert_eq!(e.edit(b"a\xff"), b"b\xff");
    }

    #[test]
    fn transliterations() {
        assert_eq!(run("y/a-z/A-Z/", "Hello\n"), "HELLO\n");
        assert_eq!(run("tr/abc/x/", "abcd\n"), "xxxd\n");
        assert_eq!(run(r"y/\-a/_b/", "-a\n"), "_b\n");
        assert_eq!(run("tr/a//", "abc\n"), "abc\n");
        assert_eq!(run("y{a}{b}", "a\n"), "b\n");
    }

    #[test]
    fn everything_else_is_refused() {
        for expr in [
            "",
            "print",
            "$_ = \"x\"",
            "s/a/b/e",
            "s/a/b/ if $lineno == 1",
            "s/(?=a)/b/",
            r"s/(a)\1/b/",
            "s/$x/b/",
            "s/a/$x/",
            "s/a/@x/",
            r"s/a/\u$1/",
            "s/a/b",
            "s'a'b'",
            "y/a/b/d",
            r"s/\v/b/",
            "chomp",
        ] {
            assert!(Expr::parse(expr).is_err(), "{}", expr);
        }
        let why = Expr::parse("s/(?<=a)b/c/").unwrap_err();
        assert!(!why.contains('\n'), "{}", why);
    }
}

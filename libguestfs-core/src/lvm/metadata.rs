//! The LVM2 text format (libdevmapper's config syntax) in which volume group metadata is
//! stored: sections `name { … }`, settings `key = value` where a value is an integer, a
//! floating-point number, a double-quoted string (backslash escapes `\"` and `\\`), a
//! single-quoted string, or a list `[v, v, …]` of those; `#` starts a comment to the end of the
//! line. Nesting depth and input size are bounded.

use crate::error::{Error, Result};

/// Deepest nesting of sections accepted (LVM metadata uses 4: VG, logical_volumes, LV, segment).
pub const MAX_DEPTH: usize = 32;

/// Largest text accepted.
pub const MAX_TEXT_SIZE: usize = 16 << 20;

/// A setting's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Value>),
}

/// What a name in a section refers to.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Value(Value),
    Section(Section),
}

/// A section: its settings and subsections, in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    pub items: Vec<(String, Item)>,
}

impl Section {
    /// The item called `key`; of duplicates, the last one (libdevmapper keeps the last value).
    pub fn get(&self, key: &str) -> Option<&Item> {
        self.items
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub fn section(&self, key: &str) -> Option<&Section> {
        match self.get(key) {
            Some(Item::Section(s)) => Some(s),
            _ => None,
        }
    }

    pub fn value(&self, key: &str) -> Option<&Value> {
        match self.get(key) {
            Some(Item::Value(v)) => Some(v),
            _ => None,
        }
    }

    pub fn int(&self, key: &str) -> Option<i64> {
        match self.value(key) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        match self.value(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    pub fn list(&self, key: &str) -> Option<&[Value]> {
        match self.value(key) {
            Some(Value::List(l)) => Some(l),
            _ => None,
        }
    }

    /// The strings of a list setting (non-strings skipped); empty when absent.
    pub fn string_list(&self, key: &str) -> Vec<&str> {
        self.list(key)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The subsections, in order.
    pub fn sections(&self) -> impl Iterator<Item = (&str, &Section)> {
        self.items.iter().filter_map(|(k, v)| match v {
            Item::Section(s) => Some((k.as_str(), s)),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A name (or, where a value is expected, a bare word, which is a string).
    Word(String),
    /// A quoted string.
    Str(String),
    Int(i64),
    Float(f64),
    Eq,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Eof,
}

struct Lexer<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lexer<'_> {
    fn error(&self, what: &str) -> Error {
        Error::corrupt(format!("LVM metadata: line {}: {}", self.line, what))
    }

    fn byte(&self, at: usize) -> Option<u8> {
        // A NUL ends the text, as in the C string LVM parses.
        self.text.get(at).copied().filter(|&c| c != 0)
    }

    fn slice(&self, from: usize, to: usize) -> &[u8] {
        self.text.get(from..to).unwrap_or_default()
    }

    /// The next token. `value` says whether a value may follow (after `=`, `[` or `,`): only
    /// there do digits start a number and does a bare word count as a string.
    fn next(&mut self, value: bool) -> Result<Token> {
        // Skip white space and comments.
        let c = loop {
            match self.byte(self.pos) {
                None => return Ok(Token::Eof),
                Some(b'\n') => {
                    self.line += 1;
                    self.pos += 1;
                }
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                Some(b'#') => {
                    while self.byte(self.pos).is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                Some(c) => break c,
            }
        };
        let start = self.pos;
        self.pos += 1;
        Ok(match c {
            b'=' => Token::Eq,
            b'{' => Token::LBrace,
            b'}' => Token::RBrace,
            b'[' => Token::LBracket,
            b']' => Token::RBracket,
            b',' => Token::Comma,
            b'"' => Token::Str(self.string(b'"', true)?),
            b'\'' => Token::Str(self.string(b'\'', false)?),
            b'0'..=b'9' | b'+' | b'-' | b'.' if value => self.number(start)?,
            _ => {
                while self.byte(self.pos).is_some_and(|c| {
                    !c.is_ascii_whitespace() && !matches!(c, b'#' | b'=' | b'{' | b'}')
                }) {
                    self.pos += 1;
                }
                Token::Word(String::from_utf8_lossy(self.slice(start, self.pos)).into_owned())
            }
        })
    }

    /// A quoted string whose opening quote has been consumed.
    fn string(&mut self, quote: u8, escapes: bool) -> Result<String> {
        let mut out = Vec::new();
        loop {
            let Some(c) = self.byte(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match c {
                c if c == quote => break,
                b'\\' if escapes => match self.byte(self.pos) {
                    // Only the quote and the backslash are escaped; any other backslash stays.
                    Some(n @ (b'"' | b'\\')) => {
                        out.push(n);
                        self.pos += 1;
                    }
                    _ => out.push(b'\\'),
                },
                b'\n' => {
                    self.line += 1;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// An integer or a floating-point number starting at `start`: a sign, a digit or a dot,
    /// then digits with at most one dot.
    fn number(&mut self, start: usize) -> Result<Token> {
        let mut float = self.byte(start) == Some(b'.');
        while let Some(c) = self.byte(self.pos) {
            if c == b'.' && !float {
                float = true;
            } else if !c.is_ascii_digit() {
                break;
            }
            self.pos += 1;
        }
        let s = String::from_utf8_lossy(self.slice(start, self.pos)).into_owned();
        if float {
            match s.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Token::Float(f)),
                _ => Err(self.error(&format!("invalid number {:?}", s))),
            }
        } else {
            s.parse::<i64>()
                .map(Token::Int)
                .map_err(|_| self.error(&format!("invalid integer {:?}", s)))
        }
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
}

impl Parser<'_> {
    /// Items up to `}` (inside a section) or the end of the text (at top level).
    fn items(&mut self, depth: usize) -> Result<Section> {
        let mut section = Section::default();
        loop {
            let name = match self.lex.next(false)? {
                Token::Eof if depth == 0 => return Ok(section),
                Token::RBrace if depth > 0 => return Ok(section),
                Token::Word(name) | Token::Str(name) if !name.is_empty() => name,
                Token::Eof => {
                    return Err(self.lex.error("unexpected end of text inside a section"))
                }
                other => {
                    return Err(self
                        .lex
                        .error(&format!("expected a name, found {:?}", other)))
                }
            };
            match self.lex.next(false)? {
                Token::LBrace => {
                    if depth + 1 >= MAX_DEPTH {
                        return Err(self.lex.error("sections nested too deeply"));
                    }
                    let sub = self.items(depth + 1)?;
                    section.items.push((name, Item::Section(sub)));
                }
                Token::Eq => {
                    let v = self.value()?;
                    section.items.push((name, Item::Value(v)));
                }
                other => {
                    return Err(self.lex.error(&format!(
                        "expected '=' or '{{' after {:?}, found {:?}",
                        name, other
                    )))
                }
            }
        }
    }

    fn scalar(&self, tok: Token) -> Result<Value> {
        match tok {
            Token::Int(i) => Ok(Value::Int(i)),
            Token::Float(f) => Ok(Value::Float(f)),
            Token::Str(s) | Token::Word(s) => Ok(Value::String(s)),
            other => Err(self
                .lex
                .error(&format!("expected a value, found {:?}", other))),
        }
    }

    fn value(&mut self) -> Result<Value> {
        let tok = self.lex.next(true)?;
        if tok != Token::LBracket {
            return self.scalar(tok);
        }
        // A list: values separated by optional commas, up to ']'.
        let mut list = Vec::new();
        let mut after_separator = true;
        loop {
            match self.lex.next(after_separator)? {
                Token::RBracket => return Ok(Value::List(list)),
                Token::Comma if !after_separator => after_separator = true,
                Token::Word(w) if !after_separator => {
                    return Err(self
                        .lex
                        .error(&format!("expected ',' or ']' in a list, found {:?}", w)))
                }
                tok => {
                    list.push(self.scalar(tok)?);
                    after_separator = false;
                }
            }
        }
    }
}

/// Parses metadata text into its top-level section.
pub fn parse(text: &[u8]) -> Result<Section> {
    if text.len() > MAX_TEXT_SIZE {
        return Err(Error::corrupt(format!(
            "LVM metadata: text of {} bytes is too large",
            text.len()
        )));
    }
    let mut p = Parser {
        lex: Lexer {
            text,
            pos: 0,
            line: 1,
        },
    };
    p.items(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vg_metadata() {
        let text = br#"# comment
vg0 {
	id = "C9JoNK-6QBH-E27f-YxEf-nKaD-foNj-Ru8Cxy"
	seqno = 3
	status = ["RESIZEABLE", "READ", "WRITE"]	# trailing comment
	flags = []
	ratio = 1.5
	neg = -4
	desc = "a \"quoted\" \\ back\slash"
	single = 'x"y'
	bare = word
	nocomma = ["a" "b",]
	logical_volumes {
		root {
			stripes = [
				"pv0", 0,
				"pv1", 16
			]
		}
	}
}
contents = "Text Format Volume Group"
version = 1
"#;
        let top = parse(text).unwrap();
        let (name, vg) = top.sections().next().unwrap();
        assert_eq!(name, "vg0");
        assert_eq!(vg.int("seqno"), Some(3));
        assert_eq!(
            vg.string_list("status"),
            vec!["RESIZEABLE", "READ", "WRITE"]
        );
        assert_eq!(vg.list("flags"), Some(&[][..]));
        assert_eq!(vg.value("ratio"), Some(&Value::Float(1.5)));
        assert_eq!(vg.int("neg"), Some(-4));
        assert_eq!(vg.string("desc"), Some(r#"a "quoted" \ back\slash"#));
        assert_eq!(vg.string("single"), Some(r#"x"y"#));
        assert_eq!(vg.string("bare"), Some("word"));
        assert_eq!(vg.string_list("nocomma"), vec!["a", "b"]);
        let root = vg
            .section("logical_volumes")
            .unwrap()
            .section("root")
            .unwrap();
        assert_eq!(
            root.list("stripes").unwrap(),
            &[
                Value::String("pv0".into()),
                Value::Int(0),
                Value::String("pv1".into()),
                Value::Int(16)
            ]
        );
        assert_eq!(top.int("version"), Some(1));
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            &b"vg {"[..],
            b"vg { a = }",
            b"vg { a = [1, }",
            b"a = \"unterminated",
            b"}",
            b"a = 99999999999999999999",
            b"a = 12abc",
            b"a = [1,,2]",
            b"a = [1 2]",
            b"\"\" = 1",
            b"= 1",
            b"a = [[1]]",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn bounds_nesting() {
        let deep = "a {".repeat(MAX_DEPTH + 5) + &"}".repeat(MAX_DEPTH + 5);
        assert!(parse(deep.as_bytes()).is_err());
        let ok = "a {".repeat(MAX_DEPTH - 1) + &"}".repeat(MAX_DEPTH - 1);
        assert!(parse(ok.as_bytes()).is_ok());
    }
}

//! `--machine-readable` output: where it goes (`fd:N`, `file:PATH`, `stream:stdout|stderr`)
//! and the one-JSON-object-a-line records written there.
//!
//! Records are written by serde_json in the layout of libguestfs's OCaml tools, `{ "key":
//! value, … }`, with the members of every object (result and message records alike) in key
//! order. Strings escape every control character (U+0000–U+001F, U+007F and U+0080–U+009F),
//! so a record is one line of strict JSON whatever a file name holds.
//!
//! A string that is not UTF-8 (a guest file name, see `guestfs::protocol::lossless`) is
//! written with U+FFFD for each byte that is not UTF-8, and its exact bytes go in a second
//! member named `KEY_bytes`: a list of numbers 0–255. Members whose value is UTF-8 have no
//! `_bytes` twin.

use guestfs::protocol::lossless;
use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::io::FromRawFd;

/// The suffix of the member that holds a non-UTF-8 string's bytes.
const BYTES_SUFFIX: &str = "_bytes";

/// A JSON object whose members are in key order (whatever features serde_json is built with).
pub fn object<'a>(members: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let sorted: BTreeMap<&str, Value> = members.into_iter().collect();
    Value::Object(
        sorted
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<String, Value>>(),
    )
}

/// Builds a record object: `Record::new("entry").field("path", "/etc")…`.
#[derive(Debug, Clone, Default)]
pub struct Record(BTreeMap<String, Value>);

impl Record {
    /// A record of type `record_type` (its `type` member).
    pub fn new(record_type: &str) -> Record {
        Record::default().field("type", record_type)
    }
    pub fn field(mut self, key: &str, value: impl Into<Value>) -> Record {
        self.0.insert(key.to_string(), value.into());
        self
    }
    /// Adds the member only when `value` is Some.
    pub fn opt(self, key: &str, value: Option<impl Into<Value>>) -> Record {
        match value {
            Some(v) => self.field(key, v),
            None => self,
        }
    }

    /// The record as one line of JSON (without the newline).
    pub fn render(self) -> String {
        let mut members = Map::new();
        for (key, value) in self.0 {
            add_member(&mut members, key, value);
        }
        render(&Value::Object(members))
    }
}

/// Adds `key: value` to an object, a string that is not UTF-8 shown with U+FFFD and its bytes
/// in the `KEY_bytes` member; objects inside are treated the same way.
fn add_member(members: &mut Map<String, Value>, key: String, value: Value) {
    match value {
        Value::String(s) => match carried(s) {
            Ok(text) => {
                members.insert(key, Value::String(text));
            }
            Err(bytes) => {
                let shown = String::from_utf8_lossy(&bytes).into_owned();
                let list = bytes.into_iter().map(Value::from).collect();
                members.insert(format!("{}{}", key, BYTES_SUFFIX), Value::Array(list));
                members.insert(key, Value::String(shown));
            }
        },
        other => {
            members.insert(key, shown(other));
        }
    }
}

/// A value with its strings made displayable: objects get `_bytes` members, strings in lists
/// (which have no key to pair with) keep only the U+FFFD form.
fn shown(value: Value) -> Value {
    match value {
        Value::Object(obj) => {
            let mut members = Map::new();
            for (k, v) in obj {
                add_member(&mut members, k, v);
            }
            Value::Object(members)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(shown).collect()),
        Value::String(s) => match carried(s) {
            Ok(text) => Value::String(text),
            Err(bytes) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        },
        other => other,
    }
}

/// The text an API string carries when it is UTF-8, else its bytes.
fn carried(s: String) -> Result<String, Vec<u8>> {
    match lossless::bytes_of(&s) {
        std::borrow::Cow::Borrowed(_) => Ok(s),
        std::borrow::Cow::Owned(bytes) => String::from_utf8(bytes).map_err(|e| e.into_bytes()),
    }
}

/// serde_json's compact output in libguestfs's spacing, with every control character escaped.
#[derive(Default)]
struct LibguestfsLayout {
    /// For each open object or list: whether it has members yet.
    open: Vec<bool>,
}

impl LibguestfsLayout {
    fn begin<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.open.push(false);
        w.write_all(bracket)
    }
    fn member<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if let Some(has) = self.open.last_mut() {
            *has = true;
        }
        w.write_all(if first { b" " } else { b", " })
    }
    fn end<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        if self.open.pop().unwrap_or(false) {
            w.write_all(b" ")?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for LibguestfsLayout {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.member(w, first)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.member(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    /// serde_json escapes U+0000–U+001F itself; DEL and the C1 controls are escaped here.
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(i) = rest.find(|c: char| c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c))
        {
            w.write_all(&rest.as_bytes()[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            write!(w, "\\u{:04x}", c as u32)?;
            rest = &rest[i + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }
}

/// One value as JSON text in libguestfs's layout.
fn render(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, LibguestfsLayout::default());
    // Writing to a Vec cannot fail, and a Value always serializes.
    let _ = value.serialize(&mut ser);
    String::from_utf8(out).unwrap_or_default()
}

/// Where machine-readable output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    Stderr,
    File(String),
    Fd(i32),
}

/// Why a `--machine-readable=` value was refused, worded as libguestfs words it.
pub fn parse_destination(spec: Option<&str>) -> Result<Destination, String> {
    let spec = match spec {
        None | Some("") => return Ok(Destination::Stdout),
        Some(s) => s,
    };
    let (kind, value) = spec.split_once(':').unwrap_or((spec, ""));
    if value.is_empty() {
        return Err(format!(
            "invalid format string for --machine-readable: {}",
            spec
        ));
    }
    match kind {
        "fd" => value
            .parse::<i32>()
            .ok()
            .filter(|fd| *fd >= 0)
            .map(Destination::Fd)
            .ok_or_else(|| format!("invalid output fd for --machine-readable: {}", spec)),
        "file" => Ok(Destination::File(value.to_string())),
        "stream" => match value {
            "stdout" => Ok(Destination::Stdout),
            "stderr" => Ok(Destination::Stderr),
            _ => Err(format!(
                "invalid output stream for --machine-readable: {}",
                spec
            )),
        },
        _ => Err(format!("invalid output for --machine-readable: {}", spec)),
    }
}

/// An open machine-readable stream.
pub struct MachineOutput {
    dest: Destination,
    writer: Box<dyn Write + Send>,
}

impl MachineOutput {
    /// Opens the destination. A file is created (truncated); an fd must be open.
    pub fn open(dest: Destination) -> io::Result<MachineOutput> {
        let writer: Box<dyn Write + Send> = match &dest {
            Destination::Stdout => Box::new(io::stdout()),
            Destination::Stderr => Box::new(io::stderr()),
            Destination::File(path) => Box::new(File::create(path)?),
            Destination::Fd(fd) => {
                // Check the descriptor is open before taking ownership of it.
                // SAFETY: fcntl(F_GETFD) only queries the descriptor.
                if unsafe { libc::fcntl(*fd, libc::F_GETFD) } == -1 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: the descriptor is open and was handed to us by the caller for this
                // output; we are its only user in this process.
                Box::new(unsafe { File::from_raw_fd(*fd) })
            }
        };
        Ok(MachineOutput { dest, writer })
    }

    /// True when the records go to stdout, so human output must not.
    pub fn is_stdout(&self) -> bool {
        self.dest == Destination::Stdout
    }

    /// Writes one record line.
    pub fn write(&mut self, record: Record) -> io::Result<()> {
        let mut line = record.render();
        line.push('\n');
        self.writer.write_all(line.as_bytes())?;
        self.writer.flush()
    }

    /// Writes a `message`/`info`/`warning`/`error` record with a timestamp.
    pub fn message(&mut self, kind: &str, message: &str) -> io::Result<()> {
        self.write(
            Record::new(kind)
                .field("message", message)
                .field("timestamp", timestamp_now()),
        )
    }

    /// Writes a raw line (the capability listing).
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_all(text.as_bytes())?;
        self.writer.write_all(b"\n")?;
        self.writer.flush()
    }
}

/// Local time now as RFC 3339 with nanoseconds and a `+HH:MM` offset.
pub fn timestamp_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (tm, offset) = guestfs::time::local(now.as_secs() as i64);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    format!(
        "{}.{:09}{}{:02}:{:02}",
        guestfs::time::format_tm(&tm, "%Y-%m-%dT%H:%M:%S"),
        now.subsec_nanos(),
        sign,
        off / 3600,
        (off % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_libguestfs_in_key_order() {
        let r = Record::new("entry")
            .field("path", "/a \"b\"\n")
            .field("size", 5i64)
            .field("ok", true);
        assert_eq!(
            r.render(),
            r#"{ "ok": true, "path": "/a \"b\"\n", "size": 5, "type": "entry" }"#
        );
        assert_eq!(Record::default().render(), "{}");
        let list = Record::default().field("l", vec!["a".to_string()]);
        assert_eq!(list.render(), r#"{ "l": [ "a" ] }"#);
        let nested = Record::default().field("o", object([("b", 1.into()), ("a", 2.into())]));
        assert_eq!(nested.render(), r#"{ "o": { "a": 2, "b": 1 } }"#);
    }

    #[test]
    fn every_control_character_is_escaped() {
        let all: String = (0u32..0xa0).filter_map(char::from_u32).collect();
        let line = Record::new("t").field("s", all.clone()).render();
        assert!(!line.chars().any(|c| c.is_control()), "{}", line);
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["s"], all.as_str());
    }

    #[test]
    fn names_that_are_not_utf8_carry_their_bytes() {
        let name = lossless::string_of(b"/a\xffb").into_owned();
        let line = Record::new("name").field("name", name).render();
        assert_eq!(
            line,
            "{ \"name\": \"/a\u{FFFD}b\", \"name_bytes\": [ 47, 97, 255, 98 ], \"type\": \"name\" }"
        );
        let utf8 = Record::new("name").field("name", "/caf\u{e9}").render();
        assert!(!utf8.contains("_bytes"), "{}", utf8);
        // A private-use character of the carrying scheme, really in a name, is UTF-8.
        let name = lossless::string_of("/\u{10FF80}".as_bytes()).into_owned();
        let line = Record::new("name").field("name", name).render();
        assert_eq!(line, "{ \"name\": \"/\u{10FF80}\", \"type\": \"name\" }");
    }

    #[test]
    fn destinations() {
        assert_eq!(parse_destination(None), Ok(Destination::Stdout));
        assert_eq!(parse_destination(Some("fd:3")), Ok(Destination::Fd(3)));
        assert_eq!(
            parse_destination(Some("stream:stderr")),
            Ok(Destination::Stderr)
        );
        assert_eq!(
            parse_destination(Some("file:/tmp/x")),
            Ok(Destination::File("/tmp/x".into()))
        );
        assert_eq!(
            parse_destination(Some("fd:x")).unwrap_err(),
            "invalid output fd for --machine-readable: fd:x"
        );
        assert_eq!(
            parse_destination(Some("stream:foo")).unwrap_err(),
            "invalid output stream for --machine-readable: stream:foo"
        );
        assert_eq!(
            parse_destination(Some("file:")).unwrap_err(),
            "invalid format string for --machine-readable: file:"
        );
        assert_eq!(
            parse_destination(Some("foo:bar")).unwrap_err(),
            "invalid output for --machine-readable: foo:bar"
        );
    }

    #[test]
    fn timestamp_shape() {
        let t = timestamp_now();
        // 2026-11-21T22:28:57.123456789+00:00
        assert_eq!(t.len(), 35, "{}", t);
        assert!(&t[29..30] == "+" || &t[29..30] == "-", "{}", t);
        assert_eq!(&t[32..33], ":");
    }
}

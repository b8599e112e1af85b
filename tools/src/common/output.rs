//! `--machine-readable` output: where it goes (`fd:N`, `file:PATH`, `stream:stdout|stderr`)
//! and the one-JSON-object-a-line records written there.
//!
//! The format is libguestfs's OCaml tools' compact JSON: `{ "key": value, … }` with one space
//! inside the braces and `, ` between members; strings escape only `"`, `\`, `\b`, `\n`, `\r`
//! and `\t`.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::io::FromRawFd;

/// A JSON value in a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(s.to_string())
    }
}
impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::Str(s)
    }
}
impl From<i64> for Json {
    fn from(n: i64) -> Json {
        Json::Int(n)
    }
}
impl From<i32> for Json {
    fn from(n: i32) -> Json {
        Json::Int(n as i64)
    }
}
impl From<u64> for Json {
    fn from(n: u64) -> Json {
        Json::Int(n as i64)
    }
}
impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}
impl From<f64> for Json {
    fn from(f: f64) -> Json {
        Json::Float(f)
    }
}
impl From<Vec<String>> for Json {
    fn from(v: Vec<String>) -> Json {
        Json::List(v.into_iter().map(Json::Str).collect())
    }
}

fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Json {
    /// Compact rendering in libguestfs's style.
    pub fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s);
        s
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Json::Str(s) => escape_into(out, s),
            Json::Int(n) => out.push_str(&n.to_string()),
            Json::Float(f) if f.is_finite() => out.push_str(&f.to_string()),
            Json::Float(_) => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    out.push_str(if i == 0 { " " } else { ", " });
                    v.render_into(out);
                }
                out.push_str(if items.is_empty() { "]" } else { " ]" });
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    out.push_str(if i == 0 { " " } else { ", " });
                    escape_into(out, k);
                    out.push_str(": ");
                    v.render_into(out);
                }
                out.push_str(if members.is_empty() { "}" } else { " }" });
            }
        }
    }
}

/// Builds a record object: `record("entry").field("path", "/etc")…`.
#[derive(Debug, Clone, Default)]
pub struct Record(Vec<(String, Json)>);

impl Record {
    /// A record whose `type` member comes first.
    pub fn new(record_type: &str) -> Record {
        Record(vec![("type".to_string(), Json::from(record_type))])
    }
    pub fn field(mut self, key: &str, value: impl Into<Json>) -> Record {
        self.0.push((key.to_string(), value.into()));
        self
    }
    /// Adds the member only when `value` is Some.
    pub fn opt(self, key: &str, value: Option<impl Into<Json>>) -> Record {
        match value {
            Some(v) => self.field(key, v),
            None => self,
        }
    }
    pub fn into_json(self) -> Json {
        Json::Object(self.0)
    }
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
        let line = record.into_json().render();
        self.writer.write_all(line.as_bytes())?;
        self.writer.write_all(b"\n")?;
        self.writer.flush()
    }

    /// Writes a `message`/`info`/`warning`/`error` line with a timestamp.
    pub fn message(&mut self, kind: &str, message: &str) -> io::Result<()> {
        let obj = Json::Object(vec![
            ("message".into(), Json::from(message)),
            ("timestamp".into(), Json::from(timestamp_now())),
            ("type".into(), Json::from(kind)),
        ]);
        self.writer.write_all(obj.render().as_bytes())?;
        self.writer.write_all(b"\n")?;
        self.writer.flush()
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
    fn renders_like_libguestfs() {
        let r = Record::new("entry")
            .field("path", "/a \"b\"\n")
            .field("size", 5i64)
            .field("ok", true);
        assert_eq!(
            r.into_json().render(),
            r#"{ "type": "entry", "path": "/a \"b\"\n", "size": 5, "ok": true }"#
        );
        assert_eq!(Json::Object(vec![]).render(), "{}");
        assert_eq!(Json::from(vec!["a".to_string()]).render(), r#"[ "a" ]"#);
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

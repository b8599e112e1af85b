//! The `Handle` method of every action of the API, generated from the declaration in `api/`
//! (see the README: a call is one table entry plus one implementation function), and what the
//! generated methods share: trace lines, local files for FileIn/FileOut, dynamically typed
//! calls.

use crate::error::{Error, Result};
use crate::handle::Handle;
use guestfs_protocol::checked;
use guestfs_protocol::meta::{write_struct, Action, ArgType, OptArgType, StructFields};
use guestfs_protocol::ACTIONS;
#[allow(unused_imports)]
use guestfs_protocol::*;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

include!(concat!(env!("OUT_DIR"), "/handle_calls.rs"));

/// A `libguestfs: trace:` line being built, worded as 1.48's.
pub struct TraceLine(pub String);

impl TraceLine {
    pub fn new(call: &str) -> TraceLine {
        TraceLine(call.to_string())
    }
    /// The start of a result line: `call = `.
    pub fn result(call: &str) -> TraceLine {
        TraceLine(format!("{} = ", call))
    }
    pub fn string(&mut self, s: &str) {
        self.0.push_str(&format!(" \"{}\"", s));
    }
    /// A passphrase is never shown.
    pub fn key(&mut self) {
        self.0.push_str(" \"***\"");
    }
    /// A stream given instead of a local file name.
    pub fn stream(&mut self) {
        self.0.push_str(" \"<stream>\"");
    }
    pub fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.0.push_str(" null"),
        }
    }
    pub fn string_list(&mut self, l: &[String]) {
        self.0.push_str(&format!(" \"{}\"", l.join(" ")));
    }
    pub fn bool(&mut self, b: bool) {
        self.0.push_str(if b { " true" } else { " false" });
    }
    pub fn int(&mut self, v: i64) {
        self.0.push_str(&format!(" {}", v));
    }
    pub fn buffer(&mut self, b: &[u8]) {
        self.0.push(' ');
        push_buffer(&mut self.0, b);
    }
    pub fn pointer(&mut self, ty: &str, v: usize) {
        if v == 0 {
            self.0.push_str(&format!(" ({})(nil)", ty));
        } else {
            self.0.push_str(&format!(" ({}){:#x}", ty, v));
        }
    }
    pub fn opt_bool(&mut self, name: &str, v: Option<bool>) {
        if let Some(v) = v {
            self.0.push_str(&format!(" \"{}:{}\"", name, v));
        }
    }
    pub fn opt_int(&mut self, name: &str, v: Option<i64>) {
        if let Some(v) = v {
            self.0.push_str(&format!(" \"{}:{}\"", name, v));
        }
    }
    pub fn opt_str(&mut self, name: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.0.push_str(&format!(" \"{}:{}\"", name, v));
        }
    }
    pub fn opt_list(&mut self, name: &str, v: Option<&[String]>) {
        if let Some(v) = v {
            self.0.push_str(&format!(" \"{}:{}\"", name, v.join(" ")));
        }
    }
    pub fn ret_int(&mut self, v: i64) {
        self.0.push_str(&v.to_string());
    }
    pub fn ret_string(&mut self, s: &str) {
        self.0.push_str(&format!("\"{}\"", s));
    }
    pub fn ret_opt_string(&mut self, s: Option<&str>) {
        self.0.push_str(&format!("\"{}\"", s.unwrap_or("NULL")));
    }
    pub fn ret_string_list(&mut self, l: &[String]) {
        let quoted: Vec<String> = l.iter().map(|s| format!("\"{}\"", s)).collect();
        self.0.push_str(&format!("[{}]", quoted.join(", ")));
    }
    pub fn ret_hashtable(&mut self, h: &[(String, String)]) {
        let flat: Vec<String> = h
            .iter()
            .flat_map(|(k, v)| [format!("\"{}\"", k), format!("\"{}\"", v)])
            .collect();
        self.0.push_str(&format!("[{}]", flat.join(", ")));
    }
    pub fn ret_struct(&mut self, s: &dyn StructFields) {
        self.0
            .push_str(&format!("<struct guestfs_{} = ", s.info().name));
        write_struct(&mut self.0, s, ", ", "");
        self.0.push('>');
    }
    pub fn ret_struct_list<S: StructFields>(&mut self, name: &str, l: &[S]) {
        self.0
            .push_str(&format!("<struct guestfs_{}_list({})", name, l.len()));
        if !l.is_empty() {
            self.0.push_str(" = ");
            for (i, s) in l.iter().enumerate() {
                if i > 0 {
                    self.0.push(' ');
                }
                self.0.push_str(&format!("[{}]{{", i));
                write_struct(&mut self.0, s, ", ", "");
                self.0.push('}');
            }
        }
        self.0.push('>');
    }
    pub fn ret_buffer(&mut self, b: &[u8]) {
        push_buffer(&mut self.0, b);
    }
}

/// A buffer in a trace line: at most 256 bytes, quoted, non-printable bytes as `\xHH`.
fn push_buffer(out: &mut String, b: &[u8]) {
    out.push('"');
    for &c in b.iter().take(256) {
        if (0x20..0x7f).contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("\\x{:02x}", c));
        }
    }
    out.push('"');
    if b.len() > 256 {
        out.push_str(&format!("<truncated, original size {} bytes>", b.len()));
    }
}

/// The error libguestfs gives for a `BufferIn` that cannot fit in a message.
fn check_buffer_in(b: &[u8]) -> Result<()> {
    if b.len() >= guestfs_protocol::MESSAGE_MAX as usize {
        return Err(Error::msg("size of input buffer too large"));
    }
    Ok(())
}

fn local_error(e: std::io::Error, name: &str) -> Error {
    Error::from(e).context(&format!("open: {}", name))
}

/// The local side of a FileIn argument: a file, or standard input for `/dev/stdin`.
pub(crate) struct LocalIn {
    reader: Box<dyn Read>,
    size_hint: u64,
}

impl LocalIn {
    pub(crate) fn open_in(name: &str) -> Result<LocalIn> {
        if name == "/dev/stdin" {
            return Ok(LocalIn {
                reader: Box::new(std::io::stdin()),
                size_hint: 0,
            });
        }
        let f = std::fs::File::open(name).map_err(|e| local_error(e, name))?;
        // The progress hint is the size of a regular file (0 for pipes and devices).
        let size_hint = f
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .unwrap_or(0);
        Ok(LocalIn {
            reader: Box::new(f),
            size_hint,
        })
    }

    pub(crate) fn file_in(&mut self) -> FileIn<'_> {
        FileIn {
            reader: &mut *self.reader,
            size_hint: self.size_hint,
        }
    }
}

/// The local side of a FileOut argument: created only once the call succeeds or data arrives
/// (as libguestfs opens it after the daemon's reply), `/dev/stdout` and `/dev/stderr` written
/// through this process's own streams.
pub(crate) struct LocalOut {
    name: String,
    file: Option<Box<dyn Write>>,
    error: Option<Error>,
}

impl LocalOut {
    pub(crate) fn open_out(name: &str) -> Result<LocalOut> {
        Ok(LocalOut {
            name: name.to_string(),
            file: None,
            error: None,
        })
    }

    fn open(&mut self) -> std::io::Result<&mut Box<dyn Write>> {
        if self.file.is_none() {
            let w: Box<dyn Write> = match self.name.as_str() {
                "/dev/stdout" => Box::new(std::io::stdout()),
                "/dev/stderr" => Box::new(std::io::stderr()),
                name => {
                    use std::os::unix::fs::OpenOptionsExt;
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .custom_flags(libc::O_NOCTTY)
                        .open(name);
                    match f {
                        Ok(f) => Box::new(std::io::BufWriter::with_capacity(1 << 20, f)),
                        Err(e) => {
                            self.error = Some(local_error(
                                std::io::Error::from_raw_os_error(
                                    e.raw_os_error().unwrap_or(libc::EIO),
                                ),
                                name,
                            ));
                            return Err(e);
                        }
                    }
                }
            };
            self.file = Some(w);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }

    /// After the call: the local failure if there was one, else the file completed (created
    /// empty if the call succeeded without data).
    pub(crate) fn finish_after<T>(&mut self, result: &Result<T>) -> Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if result.is_err() {
            return Ok(());
        }
        let name = self.name.clone();
        let flushed = self.open().and_then(|f| f.flush());
        match flushed {
            Ok(()) => Ok(()),
            Err(e) => Err(self
                .error
                .take()
                .unwrap_or_else(|| Error::from(e).context(&name))),
        }
    }
}

impl Write for LocalOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.open()?.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// The local side of a file transfer, which fails once `user_cancel` is asked for: the
/// connection then cancels the transfer with the daemon, as libguestfs's `send_file` and
/// `recv_file` do.
pub(crate) struct Cancellable<'c, T> {
    inner: T,
    cancel: &'c AtomicBool,
}

impl<'c, T> Cancellable<'c, T> {
    pub(crate) fn new(inner: T, cancel: &'c Arc<AtomicBool>) -> Self {
        Cancellable {
            inner,
            cancel: cancel.as_ref(),
        }
    }

    fn check(&self) -> std::io::Result<()> {
        if self.cancel.load(Ordering::SeqCst) {
            return Err(std::io::Error::other(USER_CANCELLED));
        }
        Ok(())
    }
}

impl<'c, 'f> Cancellable<'c, &mut FileIn<'f>> {
    /// The guarded stream, as the FileIn a call takes.
    pub(crate) fn file_in(&mut self) -> FileIn<'_> {
        let size_hint = self.inner.size_hint;
        FileIn {
            reader: self,
            size_hint,
        }
    }
}

impl<R: Read> Read for Cancellable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.check()?;
        self.inner.read(buf)
    }
}

impl<W: Write> Write for Cancellable<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.check()?;
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// libguestfs's message for a transfer cancelled by `user_cancel`.
const USER_CANCELLED: &str = "operation cancelled by user";

impl Handle {
    /// The end of a file transfer: a failure after `user_cancel` is reported as the
    /// cancellation (EINTR, without the call's name, as libguestfs words it).
    pub(crate) fn finish_transfer<T>(
        &mut self,
        result: Result<T>,
        cancel: &AtomicBool,
    ) -> Result<T> {
        match result {
            Err(e) if !e.reported && cancel.load(Ordering::SeqCst) => {
                Err(self.report_error("", Error::new(libc::EINTR, USER_CANCELLED)))
            }
            other => other,
        }
    }
}

/// An argument given to [`Handle::call_dynamic`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Any string argument (paths, devices, local file names for FileIn/FileOut …).
    Str(String),
    OptStr(Option<String>),
    List(Vec<String>),
    Bool(bool),
    Int(i64),
    Buffer(Vec<u8>),
}

/// What [`Handle::call_dynamic`] returns.
#[derive(Debug)]
pub enum RetValue {
    Unit,
    Int(i64),
    Bool(bool),
    String(String),
    OptString(Option<String>),
    StringList(Vec<String>),
    Hashtable(Vec<(String, String)>),
    Struct(Box<dyn StructFields>),
    StructList(Vec<Box<dyn StructFields>>),
    Buffer(Vec<u8>),
}

/// The arguments of a dynamic call, checked against the action's declaration.
struct DynamicArgs<'a> {
    action: &'static Action,
    args: &'a [Value],
    optargs: &'a [(usize, Value)],
}

fn wrong_type(action: &Action, name: &str) -> Error {
    Error::new(
        libc::EINVAL,
        format!("{}: {}: wrong type of value", action.name, name),
    )
}

impl<'a> DynamicArgs<'a> {
    fn new(
        action: &'static Action,
        args: &'a [Value],
        optargs: &'a [(usize, Value)],
    ) -> Result<DynamicArgs<'a>> {
        if args.len() != action.args.len() {
            return Err(Error::new(
                libc::EINVAL,
                format!(
                    "{}: needs {} arguments, {} given",
                    action.name,
                    action.args.len(),
                    args.len()
                ),
            ));
        }
        if let Some((i, _)) = optargs.iter().find(|(i, _)| *i >= action.optargs.len()) {
            return Err(Error::new(
                libc::EINVAL,
                format!("{}: no optional argument number {}", action.name, i),
            ));
        }
        Ok(DynamicArgs {
            action,
            args,
            optargs,
        })
    }
    fn arg(&self, i: usize) -> (&'a Value, &'static str) {
        (&self.args[i], self.action.args[i].name)
    }
    fn str_arg(&self, i: usize) -> Result<&'a str> {
        match self.arg(i) {
            (Value::Str(s), _) => Ok(s),
            (_, n) => Err(wrong_type(self.action, n)),
        }
    }
    fn opt_str_arg(&self, i: usize) -> Result<Option<String>> {
        match self.arg(i) {
            (Value::OptStr(s), _) => Ok(s.clone()),
            (Value::Str(s), _) => Ok(Some(s.clone())),
            (_, n) => Err(wrong_type(self.action, n)),
        }
    }
    fn list_arg(&self, i: usize) -> Result<Vec<String>> {
        match self.arg(i) {
            (Value::List(l), _) => Ok(l.clone()),
            (_, n) => Err(wrong_type(self.action, n)),
        }
    }
    fn bool_arg(&self, i: usize) -> Result<bool> {
        match self.arg(i) {
            (Value::Bool(b), _) => Ok(*b),
            (_, n) => Err(wrong_type(self.action, n)),
        }
    }
    fn int_arg(&self, i: usize) -> Result<i32> {
        match self.arg(i) {
            (Value::Int(v), n) => i32::try_from(*v).map_err(|_| {
                Error::new(
                    libc::EINVAL,
                    format!("{}: {}: integer out of range", self.action.name, n),
                )
            }),
            (_, n) => Err(wrong_type(self.action, n)),
        }
    }
    fn int64_arg(&self, i: usize) -> Result<i64> {
        match self.arg(i) {
            (Value::Int(v), _) => Ok(*v),
            (_, n) => Err(wrong_type(self.action, n)),
        }
    }
    fn buffer_arg(&self, i: usize) -> Result<Vec<u8>> {
        match self.arg(i) {
            (Value::Buffer(b), _) => Ok(b.clone()),
            (Value::Str(s), _) => Ok(s.as_bytes().to_vec()),
            (_, n) => Err(wrong_type(self.action, n)),
        }
    }
    fn opt(&self, i: usize) -> Option<&'a Value> {
        self.optargs
            .iter()
            .rev()
            .find(|(j, _)| *j == i)
            .map(|(_, v)| v)
    }
    fn opt_wrong(&self, i: usize) -> Error {
        wrong_type(self.action, self.action.optargs[i].name)
    }
    fn bool_value(&self, i: usize) -> Result<Option<bool>> {
        match self.opt(i) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.opt_wrong(i)),
        }
    }
    fn int_value(&self, i: usize) -> Result<Option<i32>> {
        match self.opt(i) {
            None => Ok(None),
            Some(Value::Int(v)) => i32::try_from(*v).map(Some).map_err(|_| {
                Error::new(
                    libc::EINVAL,
                    format!(
                        "{}: {}: integer out of range",
                        self.action.name, self.action.optargs[i].name
                    ),
                )
            }),
            Some(_) => Err(self.opt_wrong(i)),
        }
    }
    fn int64_value(&self, i: usize) -> Result<Option<i64>> {
        match self.opt(i) {
            None => Ok(None),
            Some(Value::Int(v)) => Ok(Some(*v)),
            Some(_) => Err(self.opt_wrong(i)),
        }
    }
    fn string_value(&self, i: usize) -> Result<Option<String>> {
        match self.opt(i) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.opt_wrong(i)),
        }
    }
    fn list_value(&self, i: usize) -> Result<Option<Vec<String>>> {
        match self.opt(i) {
            None => Ok(None),
            Some(Value::List(l)) => Ok(Some(l.clone())),
            Some(_) => Err(self.opt_wrong(i)),
        }
    }
}

/// The declared types, for callers that build [`Value`]s (guestfish).
pub fn value_kind(t: ArgType) -> &'static str {
    match t {
        ArgType::Str(_) => "string",
        ArgType::OptString => "optional string",
        ArgType::StringList(_) => "string list",
        ArgType::Bool => "boolean",
        ArgType::Int | ArgType::Int64 => "integer",
        ArgType::BufferIn => "buffer",
        ArgType::Pointer => "pointer",
    }
}

/// The declared types of optional arguments.
pub fn opt_value_kind(t: OptArgType) -> &'static str {
    match t {
        OptArgType::Bool => "boolean",
        OptArgType::Int | OptArgType::Int64 => "integer",
        OptArgType::String => "string",
        OptArgType::StringList => "string list",
    }
}

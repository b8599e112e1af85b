//! virt-win-reg: export entries from a Windows guest's registry, in regedit's `.reg` format
//! exactly as 1.48 (which is Perl with Win::Hivex::Regedit) writes it.

use crate::common::output::Record;
use crate::common::registry_merge::{ApplyError, Attempt, Merge};
use crate::common::registry_path::{hive_file, map_path_to_hive, utf16le_string, LocateError};
use crate::common::{
    getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION, LIBGUESTFS_VERSION,
};
use clap::{Arg, ArgAction, Command};
use guestfs::hive::merge::MergeError;
use guestfs::hive::regfile::{operations, Encoding, ParseError, StringEncoding, StringSyntax};
use guestfs::Handle;
use guestfs::HivexOpenOpts;
use std::io::{Read, Write};

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-win-reg",
    description: "export and merge Windows Registry entries from a Windows guest",
    copyright: "Copyright (C) 2010 Red Hat Inc.",
    usage: &[
        "{prog} domname 'HKLM\\Path\\To\\Subkey'",
        "{prog} domname 'HKLM\\Path\\To\\Subkey' name",
        "{prog} domname 'HKLM\\Path\\To\\Subkey' @",
        "{prog} --merge domname [input.reg ...]",
        "{prog} [--options] disk.img ... # instead of domname",
    ],
    tables: GetoptTables {
        short: "c:d?",
        long: &[
            "connect",
            "debug",
            "encoding",
            "format",
            "help",
            "merge",
            "unsafe-printable-strings",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-registry-records"],
    perl_style: true,
    help_text: None,
    man: include_str!("../../man/src/virt-win-reg.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-win-reg")
        .arg(
            Arg::new("connect")
                .short('c')
                .long("connect")
                .action(ArgAction::Append),
        )
        .arg(
            Arg::new("debug")
                .short('d')
                .long("debug")
                .action(ArgAction::SetTrue),
        )
        .arg(
            Arg::new("encoding")
                .long("encoding")
                .action(ArgAction::Append),
        )
        .arg(Arg::new("format").long("format").action(ArgAction::Append))
        .arg(
            Arg::new("help")
                .short('?')
                .long("help")
                .action(ArgAction::SetTrue),
        )
        .arg(Arg::new("merge").long("merge").action(ArgAction::SetTrue))
        .arg(
            Arg::new("unsafe-printable-strings")
                .long("unsafe-printable-strings")
                .action(ArgAction::SetTrue),
        )
        .arg(
            Arg::new("version")
                .long("version")
                .action(ArgAction::SetTrue),
        )
        .args(crate::common::args::added())
        .arg(Arg::new("params").num_args(0..))
}

/// What `--help` (pod2usage of the OPTIONS section) prints; exit status 1 like pod2usage.
const HELP: &str = "Usage:\n     virt-win-reg domname 'HKLM\\Path\\To\\Subkey'\n     virt-win-reg domname 'HKLM\\Path\\To\\Subkey' name\n     virt-win-reg domname 'HKLM\\Path\\To\\Subkey' @\n     virt-win-reg --merge domname [input.reg ...]\n     virt-win-reg [--options] disk.img ... # instead of domname\n\nOptions:\n    --help\n        Display brief help.\n\n    --version\n        Display version number and exit.\n\n    --debug\n        Enable debugging messages.\n\n    -c URI\n    --connect URI\n        If using libvirt, connect to the given *URI*. If omitted, then we\n        connect to the default libvirt hypervisor.\n\n    --format raw\n        Specify the format of disk images given on the command line.\n\n    --machine-readable[=format]\n        Make output machine readable (JSON records, see virt-win-reg(1)).\n\n    --merge\n        In merge mode, this merges a textual regedit file into the Windows\n        Registry of the virtual machine.\n\n    --encoding UTF-16LE|ASCII\n        When merging (only), you may need to specify the encoding for\n        strings to be used in the hive file.\n\n    --unsafe-printable-strings\n        When exporting (only), assume strings are UTF-16LE and print them as\n        strings instead of hex sequences.\n\n";

/// A die() in the Perl tool: the message on stderr and exit status 255.
fn die(msg: &str) -> i32 {
    eprintln!("{}", msg);
    255
}

/// A libvirt guest named by the first operand, launched. Like 1.48's Perl script this calls
/// `add_domain` with `readonly` and the `-c` URI only (no UUID, so a UUID is looked up as a
/// name), and a failure is a Perl `die`: the message with the script's line, and the exit
/// status Perl takes from errno (ENOENT left by the failed file test, unless libvirt reset it).
fn add_domain(ctx: &Ctx, guest: &str, readonly: bool) -> Result<Handle, i32> {
    const AT_LINE: &str = "at /usr/bin/virt-win-reg line 308.";
    if ctx.value("format").is_some() {
        // Perl passes --format on to add_domain, which has no such argument.
        eprintln!("unknown optional argument 'format' {}", AT_LINE);
        return Err(libc::ENOENT);
    }
    let mut g = ctx.handle();
    g.push_error_handler_quiet();
    let opts = guestfs::AddDomainOpts {
        libvirturi: ctx.libvirt_uri(),
        readonly: Some(readonly),
        ..Default::default()
    };
    if let Err(e) = g.add_domain(guest, opts) {
        eprintln!("{} {}", e.message, AT_LINE);
        return Err(if e.errno > 0 && e.errno < 256 {
            e.errno
        } else {
            255
        });
    }
    if let Err(e) = g.launch() {
        eprintln!("{} at /usr/bin/virt-win-reg line 311.", e.message);
        return Err(255);
    }
    g.pop_error_handler();
    Ok(g)
}

fn run(ctx: &mut Ctx) -> i32 {
    if ctx.flag("help") {
        print!("{}", HELP);
        return 1;
    }
    if ctx.flag("version") {
        println!("{} {}", ctx.prog, GUESTFS_TOOLS_VERSION);
        println!("libguestfs {}", LIBGUESTFS_VERSION);
        return 0;
    }
    let mut params = ctx.operands.clone();
    if params.is_empty() {
        return die("no libvirt domain name or disk image given");
    }
    let image = params.remove(0);
    if image.contains("://")
        && !image
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/:#%&*+,-.=?@_~".contains(c))
    {
        return die(&format!(
            "{}: URI parameter contains invalid characters",
            ctx.prog
        ));
    }
    let is_domain = !image.contains("://") && !std::path::Path::new(&image).exists();
    let merging = ctx.flag("merge");
    let mut g = if is_domain {
        match add_domain(ctx, &image, !merging) {
            Ok(g) => g,
            Err(code) => return code,
        }
    } else {
        ctx.drives.push(crate::common::DriveArg {
            format: ctx.value("format"),
            ..crate::common::DriveArg::image(image)
        });
        match ctx.launch(!merging) {
            Ok(g) => g,
            Err(code) => return code,
        }
    };
    let roots = match g.inspect_os() {
        Ok(r) => r,
        Err(_) => return 255,
    };
    if roots.is_empty() {
        return die(&format!(
            "{}: No operating system could be detected inside this disk image.",
            ctx.prog
        ));
    }
    if roots.len() > 1 {
        return die(&format!(
            "{}: multiboot operating systems are not supported.",
            ctx.prog
        ));
    }
    let root = roots[0].clone();
    let mut mps = match g.inspect_get_mountpoints(&root) {
        Ok(m) => m,
        Err(_) => return 255,
    };
    crate::common::inspect::sort_mountpoints(&mut mps);
    for (mp, dev) in &mps {
        if g.mount_options("ro", dev, mp).is_err() {
            return 255;
        }
    }
    g.push_error_handler_quiet();
    let systemroot = g.inspect_get_windows_systemroot(&root);
    g.pop_error_handler();
    let systemroot = match systemroot {
        Ok(s) => s,
        // Perl's die exits with errno when it is set: launch leaves ENOENT behind.
        Err(e) => {
            eprintln!("{} at /usr/bin/virt-win-reg line 331.", e.message);
            return libc::ENOENT;
        }
    };
    if merging {
        return merge(ctx, g, &systemroot, &params);
    }
    if params.is_empty() || params.len() > 2 {
        return die(
            "expecting 1 or 2 more parameters, subkey path and optionally the value to export",
        );
    }
    let path = params[0].clone();
    let value_name = params.get(1).cloned();
    let Some(target) = map_path_to_hive(&path) else {
        return die(&format!(
            "virt-win-reg: {}: not a supported Windows Registry path",
            path
        ));
    };
    let (key, prefix) = (target.path, target.prefix);
    let hive_path = match hive_file(&mut g, &target.location, &systemroot) {
        Ok(f) => f,
        Err(e) => {
            eprint!("{}", locate_failure(e));
            return 255;
        }
    };
    let real = g
        .case_sensitive_path(&hive_path)
        .unwrap_or(hive_path.clone());
    g.push_error_handler_quiet();
    let opened = g.hivex_open(&real, HivexOpenOpts::default());
    g.pop_error_handler();
    if let Err(e) = opened {
        return die(&format!(
            "virt-win-reg: {}: could not download registry file: {}",
            real, e.message
        ));
    }
    let mut out = ctx.human_out();
    let result = match value_name {
        None => export(
            ctx,
            &mut g,
            &key,
            &prefix,
            ctx.flag("unsafe-printable-strings"),
            &mut out,
        ),
        Some(name) => print_value(&mut g, &key, &name, &mut out),
    };
    let _ = out.flush();
    match result {
        Ok(()) => 0,
        Err(msg) => die(&msg),
    }
}

/// Finds a key by path, each element matched case-insensitively.
fn lookup(g: &mut Handle, key: &str) -> Result<i64, String> {
    let mut node = g.hivex_root().map_err(|e| e.message)?;
    for part in key.split('\\').filter(|p| !p.is_empty()) {
        let child = g.hivex_node_get_child(node, part).map_err(|e| e.message)?;
        if child == 0 {
            return Err(format!("{}: path not found in this hive", key));
        }
        node = child;
    }
    Ok(node)
}

fn canonical_path(g: &mut Handle, mut node: i64) -> Result<String, String> {
    let root = g.hivex_root().map_err(|e| e.message)?;
    let mut parts = Vec::new();
    // Bounded: a hive cannot be nested deeper than its number of keys, and the reader refuses
    // parent loops; 1024 levels is far beyond any real registry.
    while node != root && parts.len() < 1024 {
        parts.push(g.hivex_node_name(node).map_err(|e| e.message)?);
        node = g.hivex_node_parent(node).map_err(|e| e.message)?;
    }
    parts.reverse();
    Ok(format!("\\{}", parts.join("\\")))
}

fn escape_quotes(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// regedit export of a key and all its subkeys (values and subkeys sorted by name).
fn export(
    ctx: &Ctx,
    g: &mut Handle,
    key: &str,
    prefix: &str,
    printable: bool,
    out: &mut dyn Write,
) -> Result<(), String> {
    let node = lookup(g, key)?;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        let path = canonical_path(g, node)?;
        let prefix = prefix.strip_suffix('\\').unwrap_or(prefix);
        let _ = writeln!(out, "[{}{}]", prefix, path);
        let mut values = Vec::new();
        for v in g.hivex_node_values(node).map_err(|e| e.message)? {
            let v = v.hivex_value_h;
            let name = g.hivex_value_key(v).map_err(|e| e.message)?;
            let vtype = g.hivex_value_type(v).map_err(|e| e.message)?;
            let data = g.hivex_value_value(v).map_err(|e| e.message)?;
            values.push((name, vtype, data));
        }
        values.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, vtype, data) in &values {
            let lhs = if name.is_empty() {
                "@=".to_string()
            } else {
                format!("\"{}\"=", escape_quotes(name))
            };
            let rhs = if *vtype == 4 && data.len() == 4 {
                format!(
                    "dword:{:08x}",
                    u32::from_le_bytes([data[0], data[1], data[2], data[3]])
                )
                .into_bytes()
            } else if printable && (*vtype == 1 || *vtype == 2) {
                perl_print_bytes(&format!("str({:x}):\"{}\"", vtype, printable_string(data)))
            } else {
                let hex: Vec<String> = data.iter().map(|b| format!("{:02x}", b)).collect();
                format!("hex({:x}):{}", vtype, hex.join(",")).into_bytes()
            };
            let _ = out.write_all(lhs.as_bytes());
            let _ = out.write_all(&rhs);
            let _ = out.write_all(b"\n");
            ctx.record(
                Record::new("value")
                    .field("key", format!("{}{}", prefix, path))
                    .field("name", name.as_str())
                    .field("type", *vtype),
            );
        }
        let _ = writeln!(out);
        let mut children = Vec::new();
        for c in g.hivex_node_children(node).map_err(|e| e.message)? {
            let c = c.hivex_node_h;
            children.push((g.hivex_node_name(c).map_err(|e| e.message)?, c));
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        // Depth-first in name order: push in reverse so the first child is exported next.
        for (_, c) in children.into_iter().rev() {
            stack.push(c);
        }
    }
    Ok(())
}

/// `--unsafe-printable-strings`: the data decoded as UTF-16LE as Perl's Encode decodes it
/// (a last odd byte dropped, unpaired surrogates replaced), one final NUL removed, and `"`
/// (only) escaped.
fn printable_string(data: &[u8]) -> String {
    let units = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if text.ends_with('\0') {
        text.pop();
    }
    text.replace('"', "\\\"")
}

/// What Perl's `printf` to a handle without an encoding layer writes for `s`: characters
/// below 256 as single bytes, or, when there is a wider one, the string in UTF-8 with
/// Perl's warning on standard error.
fn perl_print_bytes(s: &str) -> Vec<u8> {
    if s.chars().all(|c| (c as u32) < 0x100) {
        return s.chars().map(|c| c as u8).collect();
    }
    eprintln!("Wide character in printf at {} line 609.", REGEDIT_PM);
    s.as_bytes().to_vec()
}

/// One value, as `hivexget` prints it: strings as text, numbers in decimal, anything else in
/// hex.
fn print_value(g: &mut Handle, key: &str, name: &str, out: &mut dyn Write) -> Result<(), String> {
    let node = lookup(g, key)?;
    let name = if name == "@" { "" } else { name };
    let v = g.hivex_node_get_value(node, name).map_err(|e| e.message)?;
    if v == 0 {
        return Err(format!("hivexget: {}: value not found", name));
    }
    let vtype = g.hivex_value_type(v).map_err(|e| e.message)?;
    let data = g.hivex_value_value(v).map_err(|e| e.message)?;
    let text = match vtype {
        1 | 2 | 6 => utf16le_string(&data),
        4 if data.len() >= 4 => {
            u32::from_le_bytes([data[0], data[1], data[2], data[3]]).to_string()
        }
        5 if data.len() >= 4 => {
            u32::from_be_bytes([data[0], data[1], data[2], data[3]]).to_string()
        }
        11 if data.len() >= 8 => u64::from_le_bytes([
            data[0], data[1], data[2], data[3], data[4], data[5], data[6], data[7],
        ])
        .to_string(),
        7 => {
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            units
                .split(|&u| u == 0)
                .filter(|s| !s.is_empty())
                .map(String::from_utf16_lossy)
                .collect::<Vec<_>>()
                .join("\n")
        }
        _ => data
            .iter()
            .map(|b| format!("{:02x}", b))
            .collect::<Vec<_>>()
            .join(","),
    };
    let _ = writeln!(out, "{}", text);
    Ok(())
}

/// Where 1.48's script calls `reg_import` (Carp reports errors from there): for standard
/// input, and for a file.
const REG_IMPORT_STDIN_AT: &str = "at /usr/bin/virt-win-reg line 376.";
const REG_IMPORT_FILE_AT: &str = "at /usr/bin/virt-win-reg line 380.";
const REGEDIT_PM: &str = "/usr/lib/x86_64-linux-gnu/perl5/5.36/Win/Hivex/Regedit.pm";

/// The errno 1.48's Perl script holds when it dies in a merge, which is its exit status
/// (255 when 0): opening a file leaves ENOTTY (PerlIO's terminal check), the first string
/// encoded ENOENT (loading Encode's UTF-16/32 module searches @INC), downloading a hive
/// ENOENT (the `-f` test for its local copy), a key not found in a hive 0 (hivex clears
/// errno to tell "not found" from a failure).
struct PerlErrno {
    errno: i32,
    encoder_loaded: bool,
}

impl PerlErrno {
    fn after(&mut self, seen: &Attempt) {
        if seen.downloaded {
            self.errno = libc::ENOENT;
        }
        if seen.key_missing {
            self.errno = 0;
        }
    }

    fn status(&self) -> i32 {
        if self.errno == 0 {
            255
        } else {
            self.errno
        }
    }
}

/// One `.reg` input: its text, and how Perl names its handle and the call reading it.
struct RegInput {
    text: Vec<u8>,
    handle: &'static str,
    at: &'static str,
}

/// `--merge`: every `.reg` file (standard input without one) into the guest's hives, then the
/// changed hives written back. Nothing is written unless everything applied.
fn merge(ctx: &Ctx, mut g: Handle, systemroot: &str, files: &[String]) -> i32 {
    let encoding = StringEncoding::named(ctx.value("encoding").as_deref());
    let loads_encoder = matches!(
        encoding,
        StringEncoding::Known(e) if !matches!(e, Encoding::Ascii | Encoding::Latin1 | Encoding::Utf8)
    );
    let mut errno = PerlErrno {
        errno: libc::ENOENT,
        encoder_loaded: false,
    };
    let mut session = Merge::new(systemroot);
    let inputs: Vec<Option<&String>> = if files.is_empty() {
        vec![None]
    } else {
        files.iter().map(Some).collect()
    };
    for input in inputs {
        let input = match input {
            None => {
                let mut text = Vec::new();
                if let Err(e) = std::io::stdin().read_to_end(&mut text) {
                    return die(&format!("read: {}", crate::common::os_error(&e)));
                }
                RegInput {
                    text,
                    handle: "<STDIN>",
                    at: REG_IMPORT_STDIN_AT,
                }
            }
            Some(file) => match std::fs::read(file) {
                Ok(text) => {
                    errno.errno = libc::ENOTTY;
                    RegInput {
                        text,
                        handle: "<$fh>",
                        at: REG_IMPORT_FILE_AT,
                    }
                }
                Err(e) => {
                    eprintln!(
                        "open: {}: {} at /usr/bin/virt-win-reg line 379.",
                        file,
                        crate::common::os_error(&e)
                    );
                    return e.raw_os_error().unwrap_or(255);
                }
            },
        };
        let mut ops = operations(&input.text, encoding.clone());
        while let Some(op) = ops.next() {
            if ops.encoded_string() && loads_encoder && !errno.encoder_loaded {
                errno.encoder_loaded = true;
                errno.errno = libc::ENOENT;
            }
            let failure = match op {
                Err(e) => parse_failure(&e, &input, ops.lines_read()),
                Ok(op) => {
                    let mut seen = Attempt::default();
                    let applied = session.apply(&mut g, &op, &mut seen);
                    errno.after(&seen);
                    match applied {
                        Ok(()) => continue,
                        Err(ApplyError::Merge(e)) => {
                            merge_failure(&e, input.handle, ops.lines_read())
                        }
                        Err(e) => {
                            // Perl's die with a translated message (__x) exits 255.
                            errno.errno = 0;
                            apply_failure(e)
                        }
                    }
                }
            };
            eprint!("{}", failure);
            return errno.status();
        }
    }
    if crate::common::write::remount_read_write(&mut g).is_err() {
        return 255;
    }
    if let Err((file, message)) = session.upload(&mut g) {
        return die(&format!(
            "virt-win-reg: {}: could not upload registry file: {}",
            file, message
        ));
    }
    match crate::common::write::finish(g) {
        Ok(()) => 0,
        Err(_) => 255,
    }
}

/// reg_import's `croak`: the message and where the script called it, unless the message
/// ends a line itself (a line joined at the end of the file keeps its newline). An unknown
/// encoding is Encode's croak, from Regedit.pm, with the lines read so far.
fn parse_failure(e: &ParseError, input: &RegInput, lines: usize) -> String {
    if let ParseError::UnknownEncoding { name, syntax } = e {
        let line = match syntax {
            StringSyntax::Str => 290,
            StringSyntax::StrTyped => 296,
            StringSyntax::Quoted => 302,
        };
        return format!(
            "Unknown encoding '{}' at {} line {}, {} line {}.\n",
            name, REGEDIT_PM, line, input.handle, lines
        );
    }
    let msg = e.to_string();
    if msg.ends_with('\n') {
        msg
    } else {
        format!("{} {}\n", msg, input.at)
    }
}

/// reg_import's `confess`: the message, where in Regedit.pm, and how many lines of the input
/// were read (1.48 follows it with a stack trace of memory addresses, left out).
fn merge_failure(e: &MergeError, handle: &str, lines: usize) -> String {
    let line = match e {
        MergeError::NoParent { .. } => 342,
        MergeError::DeleteRoot => 388,
        MergeError::Hive(e) => return format!("{}\n", e.message),
    };
    format!(
        "{} at {} line {}, {} line {}.\n",
        e, REGEDIT_PM, line, handle, lines
    )
}

/// The die of a hive file that could not be found.
fn locate_failure(e: LocateError) -> String {
    match e {
        LocateError::NoUserDirectory(msg) => format!("{}\n", msg),
        LocateError::NoProfile => {
            "hivexget: see earlier errors:  at /usr/bin/virt-win-reg line 540.\n".to_string()
        }
    }
}

/// The die of the step that failed, as 1.48 words it.
fn apply_failure(e: ApplyError) -> String {
    match e {
        ApplyError::Unsupported(path) => format!(
            "virt-win-reg: {}: not a supported Windows Registry path\n",
            path
        ),
        ApplyError::Locate(e) => locate_failure(e),
        ApplyError::Download { file, message } => format!(
            "virt-win-reg: {}: could not download registry file: {} at /usr/bin/virt-win-reg line 579.\n\n",
            file, message
        ),
        ApplyError::Merge(e) => format!("{}\n", e),
    }
}

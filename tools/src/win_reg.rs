//! virt-win-reg: export entries from a Windows guest's registry, in regedit's `.reg` format
//! exactly as 1.48 (which is Perl with Win::Hivex::Regedit) writes it.

use crate::common::output::Record;
use crate::common::{
    getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION, LIBGUESTFS_VERSION,
};
use clap::{Arg, ArgAction, Command};
use guestfs::Handle;
use guestfs::HivexOpenOpts;
use crate::common::registry_merge::{ApplyError, Merge};
use crate::common::registry_path::LocateError;
use guestfs::hive::regfile::{operations, ParseError, StringEncoding, StringSyntax};
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
    let Some((hive, key, prefix)) = map_path_to_hive(&path) else {
        return die(&format!(
            "virt-win-reg: {}: not a supported Windows Registry path",
            path
        ));
    };
    let hive_path = format!("{}/system32/config/{}", systemroot, hive);
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

/// Maps a registry path to (hive file name, path inside the hive, export prefix).
fn map_path_to_hive(path: &str) -> Option<(String, String, String)> {
    let p = path.strip_prefix('\\').unwrap_or(path);
    let (top, rest) = match p.split_once('\\') {
        Some((t, r)) => (t, r),
        None => (p, ""),
    };
    let top = top.to_ascii_uppercase();
    let (sub, inner) = match rest.split_once('\\') {
        Some((s, i)) => (s.to_string(), format!("\\{}", i)),
        None => (rest.to_string(), "\\".to_string()),
    };
    match top.as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => {
            let hive = sub.to_ascii_lowercase();
            if !["sam", "security", "software", "system"].contains(&hive.as_str()) {
                return None;
            }
            Some((
                hive.clone(),
                inner,
                format!("HKEY_LOCAL_MACHINE\\{}", hive.to_ascii_uppercase()),
            ))
        }
        "HKU" | "HKEY_USERS" if sub.eq_ignore_ascii_case(".DEFAULT") => Some((
            "default".to_string(),
            inner,
            "HKEY_LOCAL_MACHINE\\.DEFAULT".to_string(),
        )),
        _ => None,
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
            } else if printable && (*vtype == 1 || *vtype == 2) {
                format!("\"{}\"", escape_quotes(&utf16le_string(data)))
            } else {
                let hex: Vec<String> = data.iter().map(|b| format!("{:02x}", b)).collect();
                format!("hex({:x}):{}", vtype, hex.join(","))
            };
            let _ = writeln!(out, "{}{}", lhs, rhs);
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

/// UTF-16LE to a string, up to the first NUL.
fn utf16le_string(data: &[u8]) -> String {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
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

/// `--merge`: every `.reg` file (standard input without one) into the guest's hives, then the
/// changed hives written back. Nothing is written unless everything applied.
fn merge(ctx: &Ctx, mut g: Handle, systemroot: &str, files: &[String]) -> i32 {
    let encoding = StringEncoding::named(ctx.value("encoding").as_deref());
    let mut session = Merge::new(systemroot);
    let inputs: Vec<Option<&String>> = if files.is_empty() {
        vec![None]
    } else {
        files.iter().map(Some).collect()
    };
    for input in inputs {
        let (text, at) = match input {
            None => {
                let mut text = Vec::new();
                if let Err(e) = std::io::stdin().read_to_end(&mut text) {
                    return die(&format!("read: {}", crate::common::os_error(&e)));
                }
                (text, REG_IMPORT_STDIN_AT)
            }
            Some(file) => match std::fs::read(file) {
                Ok(text) => (text, REG_IMPORT_FILE_AT),
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
        for op in operations(&text, encoding.clone()) {
            let applied = op
                .map_err(|e| parse_failure(&e, at))
                .and_then(|op| session.apply(&mut g, &op).map_err(apply_failure));
            if let Err(message) = applied {
                eprint!("{}", message);
                // Perl's die exits with errno: ENOENT is left from before the first hive is
                // downloaded, nothing after.
                return if session.is_empty() { libc::ENOENT } else { 255 };
            }
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
/// ends a line itself (a line joined at the end of the file keeps its newline).
fn parse_failure(e: &ParseError, at: &str) -> String {
    let msg = match e {
        ParseError::UnknownEncoding { name, syntax } => {
            return format!(
                "Unknown encoding '{}' at /usr/lib/x86_64-linux-gnu/perl5/5.36/Win/Hivex/Regedit.pm line {}.\n",
                name,
                match syntax {
                    StringSyntax::Str => 290,
                    StringSyntax::StrTyped => 296,
                    StringSyntax::Quoted => 302,
                }
            )
        }
        e => e.to_string(),
    };
    if msg.ends_with('\n') {
        msg
    } else {
        format!("{} {}\n", msg, at)
    }
}

/// The die of the step that failed, as 1.48 words it.
fn apply_failure(e: ApplyError) -> String {
    match e {
        ApplyError::Unsupported(path) => format!(
            "virt-win-reg: {}: not a supported Windows Registry path\n",
            path
        ),
        ApplyError::Locate(LocateError::NoUserDirectory(msg)) => format!("{}\n", msg),
        ApplyError::Locate(LocateError::NoProfile) => {
            "hivexget: see earlier errors:  at /usr/bin/virt-win-reg line 540.\n".to_string()
        }
        ApplyError::Download { file, message } => format!(
            "virt-win-reg: {}: could not download registry file: {} at /usr/bin/virt-win-reg line 579.\n\n",
            file, message
        ),
        ApplyError::Merge(e) => format!("{}\n", e),
    }
}

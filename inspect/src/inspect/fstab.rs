//! `/etc/fstab` and `/etc/mdadm.conf`, parsed as libguestfs's Augeas lenses (Fstab,
//! Mdadm_conf) parse them — including which files are parse errors, which abort inspection —
//! and the mapping of guest device names to the appliance's.

use super::io::{Io, AUGEAS_FILE_MAX};
use super::text::{drive_index, drive_name, int_of_string, shell_unquote, unix_canonical_path, Rx};
use crate::error::{Error, Result};
use std::collections::HashMap;

/// An Augeas parse failure: where, and Augeas's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AugeasError {
    /// 1-based line of the record that failed to parse.
    pub line: usize,
    /// Column (Augeas reports the start of the unparsed record, so 0).
    pub char: usize,
    pub message: String,
}

/// Augeas's message when a `( … )*` lens stops before the end of the file.
const ITERATED_LESS: &str = "Iterated lens matched less than it should";

impl AugeasError {
    fn at(line: usize) -> AugeasError {
        AugeasError {
            line,
            char: 0,
            message: ITERATED_LESS.to_string(),
        }
    }

    /// libguestfs 1.48's wording. It looks the error details up at paths missing a `/`
    /// (`…/errorline`), so they always read `<missing>`.
    pub fn to_error(&self, file: &str) -> Error {
        Error::msg(format!(
            "{}:<missing>:<missing>: augeas parse failure: <missing>",
            file
        ))
    }
}

/// Splits file content into lines the way Augeas sees the file: up to the first NUL, with a
/// final newline added when missing; the pieces exclude the newlines.
fn augeas_lines(content: &[u8]) -> Vec<String> {
    let end = content
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(content.len());
    let text = String::from_utf8_lossy(&content[..end]);
    let mut lines: Vec<String> = text.split('\n').map(|s| s.to_string()).collect();
    // "a\nb\n" splits into [a, b, ""]; "a\nb" into [a, b] (Augeas appends the newline).
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Util.comment's text after the `#` and its following blanks: `([^ \t\r\n].*[^ \t\r\n]|
/// [^ \t\r\n])` then `[ \t]*\r?` to the end of the line.
fn comment_text_ok(rest: &[u8]) -> bool {
    let mut r = rest;
    if r.last() == Some(&b'\r') {
        r = &r[..r.len() - 1];
    }
    while r.last().is_some_and(|&b| is_ws(b)) {
        r = &r[..r.len() - 1];
    }
    match (r.first(), r.last()) {
        (Some(&f), Some(&l)) => {
            !matches!(f, b' ' | b'\t' | b'\r') && !matches!(l, b' ' | b'\t' | b'\r')
        }
        _ => false,
    }
}

/// A whole line that is Util.empty (`[ \t]*#?[ \t]*`) or Util.comment.
fn is_empty_or_comment(line: &[u8]) -> bool {
    let mut i = 0;
    while i < line.len() && is_ws(line[i]) {
        i += 1;
    }
    if i == line.len() {
        return true;
    }
    if line[i] != b'#' {
        return false;
    }
    i += 1;
    while i < line.len() && is_ws(line[i]) {
        i += 1;
    }
    i == line.len() || comment_text_ok(&line[i..])
}

/// Util.comment_or_eol at `pos`: `[ \t]*#[ \t]*TEXT[ \t]*\r?` or `[ \t]*(#[ \t]*)?` to the end.
fn comment_or_eol(line: &[u8], mut pos: usize) -> bool {
    while pos < line.len() && is_ws(line[pos]) {
        pos += 1;
    }
    if pos == line.len() {
        return true;
    }
    if line[pos] != b'#' {
        return false;
    }
    pos += 1;
    while pos < line.len() && is_ws(line[pos]) {
        pos += 1;
    }
    pos == line.len() || comment_text_ok(&line[pos..])
}

/// One fstab record as the Fstab lens stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FstabEntry {
    pub spec: String,
    pub file: String,
    /// One node per comma-separated type (each may carry `=value`, ignored here).
    pub vfstype: Vec<String>,
    /// Options: name and optional value (`None` for `opt` or `opt=`).
    pub opts: Vec<(String, Option<String>)>,
    pub dump: Option<String>,
    pub passno: Option<String>,
}

/// Scans `[ \t]+`; None if there is none.
fn sep(line: &[u8], pos: usize) -> Option<usize> {
    let mut p = pos;
    while p < line.len() && is_ws(line[p]) {
        p += 1;
    }
    (p > pos).then_some(p)
}

/// Scans `chars+` where `ok` says which bytes belong; None if empty.
fn span(line: &[u8], pos: usize, ok: impl Fn(u8) -> bool) -> Option<usize> {
    let mut p = pos;
    while p < line.len() && ok(line[p]) {
        p += 1;
    }
    (p > pos).then_some(p)
}

fn text(line: &[u8], a: usize, b: usize) -> String {
    String::from_utf8_lossy(&line[a..b]).into_owned()
}

/// Labels with optional `=value`, in order.
type OptList = Vec<(String, Option<String>)>;

/// Fstab's `comma_sep_list`: `optlabel (= neg1?)? (, optlabel (= neg1?)?)*`.
fn comma_sep_list(line: &[u8], mut pos: usize) -> Option<(usize, OptList)> {
    let optlabel = |b: u8| !matches!(b, b',' | b'#' | b'=' | b' ' | b'\t');
    let neg1 = |b: u8| !matches!(b, b',' | b'#' | b' ' | b'\t');
    let mut items = Vec::new();
    loop {
        let end = span(line, pos, optlabel)?;
        let label = text(line, pos, end);
        pos = end;
        let mut value = None;
        if line.get(pos) == Some(&b'=') {
            pos += 1;
            if let Some(vend) = span(line, pos, neg1) {
                value = Some(text(line, pos, vend));
                pos = vend;
            }
        }
        items.push((label, value));
        if line.get(pos) == Some(&b',') {
            pos += 1;
        } else {
            return Some((pos, items));
        }
    }
}

/// Parses one line as an Fstab `record`; None if it does not match.
fn fstab_record(line: &[u8]) -> Option<FstabEntry> {
    let mut pos = 0;
    while pos < line.len() && is_ws(line[pos]) {
        pos += 1;
    }
    let first = *line.get(pos)?;
    if matches!(first, b',' | b'#' | b' ' | b'\t') {
        return None;
    }
    let spec_end = span(line, pos, |b| !is_ws(b))?;
    let mut e = FstabEntry {
        spec: text(line, pos, spec_end),
        ..Default::default()
    };
    pos = sep(line, spec_end)?;
    let file_end = span(line, pos, |b| !matches!(b, b'#' | b' ' | b'\t'))?;
    e.file = text(line, pos, file_end);
    pos = sep(line, file_end)?;
    let (end, types) = comma_sep_list(line, pos)?;
    e.vfstype = types.into_iter().map(|(l, _)| l).collect();
    pos = end;
    if comment_or_eol(line, pos) {
        return Some(e);
    }
    pos = sep(line, pos)?;
    let (end, opts) = comma_sep_list(line, pos)?;
    e.opts = opts;
    pos = end;
    if comment_or_eol(line, pos) {
        return Some(e);
    }
    pos = sep(line, pos)?;
    let dump_end = span(line, pos, |b| b.is_ascii_digit())?;
    e.dump = Some(text(line, pos, dump_end));
    pos = dump_end;
    if comment_or_eol(line, pos) {
        return Some(e);
    }
    pos = sep(line, pos)?;
    let passno_end = span(line, pos, |b| b.is_ascii_digit())?;
    e.passno = Some(text(line, pos, passno_end));
    comment_or_eol(line, passno_end).then_some(e)
}

/// Parses `/etc/fstab` content with the Fstab lens's rules.
pub fn parse_fstab(content: &[u8]) -> std::result::Result<Vec<FstabEntry>, AugeasError> {
    let mut entries = Vec::new();
    for (i, line) in augeas_lines(content).iter().enumerate() {
        let b = line.as_bytes();
        if is_empty_or_comment(b) {
            continue;
        }
        match fstab_record(b) {
            Some(e) => entries.push(e),
            None => return Err(AugeasError::at(i + 1)),
        }
    }
    Ok(entries)
}

/// An `ARRAY` line of mdadm.conf: its bare device names and `uuid=` values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MdArray {
    pub devicename: Vec<String>,
    pub uuid: Vec<String>,
}

/// A token is an accepted abbreviation of `keyword` (case-insensitive prefix, at least `min`
/// characters), as Mdadm_conf's keyword regexes allow.
fn abbrev(token: &str, keyword: &str, min: usize) -> bool {
    token.len() >= min
        && token.len() <= keyword.len()
        && keyword.as_bytes()[..token.len()].eq_ignore_ascii_case(token.as_bytes())
}

const ARRAY_KEYS: &[&str] = &[
    "auto",
    "bitmap",
    "container",
    "devices",
    "disks",
    "level",
    "member",
    "metadata",
    "name",
    "num-devices",
    "spare-group",
    "spares",
    "super-minor",
    "uuid",
];
const CREATE_KEYS: &[&str] = &["auto", "owner", "group", "mode", "metadata", "symlinks"];

/// `key=value` with the key in `keys` (case-insensitive) and a non-empty value.
fn keyvalue<'t>(token: &'t str, keys: &[&str]) -> Option<(String, &'t str)> {
    let (k, v) = token.split_once('=')?;
    if v.is_empty() {
        return None;
    }
    keys.iter()
        .find(|key| key.eq_ignore_ascii_case(k))
        .map(|key| (key.to_string(), v))
}

/// Checks one mdadm.conf record (keyword + values); returns the ARRAY data if it is one.
fn mdadm_record(tokens: &[String]) -> std::result::Result<Option<MdArray>, ()> {
    let Some((kw, values)) = tokens.split_first() else {
        return Err(());
    };
    let kw = kw.as_str();
    if abbrev(kw, "device", 3) || abbrev(kw, "mailaddr", 3) || abbrev(kw, "mailfrom", 5) {
        return Ok(None);
    }
    if abbrev(kw, "program", 3) || abbrev(kw, "homehost", 3) {
        return Ok(None);
    }
    if abbrev(kw, "array", 3) {
        let mut a = MdArray::default();
        for v in values {
            if !v.contains('=') {
                a.devicename.push(v.clone());
            } else {
                match keyvalue(v, ARRAY_KEYS) {
                    Some((k, val)) if k == "uuid" => a.uuid.push(val.to_string()),
                    Some(_) => {}
                    None => return Err(()),
                }
            }
        }
        return Ok(Some(a));
    }
    if abbrev(kw, "create", 3) {
        return if values.iter().all(|v| keyvalue(v, CREATE_KEYS).is_some()) {
            Ok(None)
        } else {
            Err(())
        };
    }
    if abbrev(kw, "auto", 3) {
        let ok = values.iter().all(|v| {
            ((v.starts_with('+') || v.starts_with('-')) && v.len() > 1)
                || v.eq_ignore_ascii_case("homehost")
        });
        return if ok { Ok(None) } else { Err(()) };
    }
    if abbrev(kw, "policy", 3) || abbrev(kw, "part-policy", 3) {
        let ok = values.iter().all(|v| match v.split_once('=') {
            Some((k, val)) => !k.is_empty() && !k.contains('/') && !val.is_empty(),
            None => false,
        });
        return if ok { Ok(None) } else { Err(()) };
    }
    Err(())
}

/// The values of one physical line: blank-separated words up to a `#`.
fn line_values(line: &str) -> Vec<String> {
    let upto = line.find('#').unwrap_or(line.len());
    line[..upto]
        .split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .map(|w| w.to_string())
        .collect()
}

/// A physical line continues the previous record: blanks, then a value character.
fn is_continuation(line: &str) -> bool {
    let b = line.as_bytes();
    if b.first().is_none_or(|&c| !is_ws(c)) {
        return false;
    }
    b.iter()
        .find(|&&c| !is_ws(c))
        .is_some_and(|&c| c != b'#' && c != b'\r')
}

/// Parses mdadm.conf content with the Mdadm_conf lens's rules; returns the ARRAY records.
pub fn parse_mdadm_conf(content: &[u8]) -> std::result::Result<Vec<MdArray>, AugeasError> {
    let lines = augeas_lines(content);
    let mut arrays = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if is_empty_or_comment(line.as_bytes()) {
            i += 1;
            continue;
        }
        // Keywords are never indented, and a comment tail must be a valid comment.
        if line.starts_with([' ', '\t']) || !record_line_tail_ok(line) {
            return Err(AugeasError::at(i + 1));
        }
        let first = i;
        let mut tokens = line_values(line);
        i += 1;
        while i < lines.len() && is_continuation(&lines[i]) {
            if !record_line_tail_ok(&lines[i]) {
                return Err(AugeasError::at(first + 1));
            }
            tokens.extend(line_values(&lines[i]));
            i += 1;
        }
        match mdadm_record(&tokens) {
            Ok(Some(a)) => arrays.push(a),
            Ok(None) => {}
            Err(()) => return Err(AugeasError::at(first + 1)),
        }
    }
    Ok(arrays)
}

/// The part of a record line from its `#` on is a valid end-of-line comment.
fn record_line_tail_ok(line: &str) -> bool {
    match line.find('#') {
        Some(p) => comment_or_eol(line.as_bytes(), p),
        None => true,
    }
}

/// `HOSTNAME` from `/etc/sysconfig/network` as the Shellvars lens stores it: the raw value,
/// quotes included, or None if it is missing, empty or set more than once.
pub fn sysconfig_hostname(content: &[u8]) -> Option<String> {
    let mut found = Vec::new();
    for line in augeas_lines(content) {
        let l = line.trim_start_matches([' ', '\t']);
        let l = l
            .strip_prefix("export ")
            .map(|r| r.trim_start())
            .unwrap_or(l);
        let Some(rest) = l.strip_prefix("HOSTNAME=") else {
            continue;
        };
        // The value runs to the first blank outside quotes.
        let b = rest.as_bytes();
        let mut i = 0;
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == b'"' || c == b'\'' => quote = Some(c),
                None if c == b'\\' => i += 1,
                None if is_ws(c) => break,
                None => {}
            }
            i += 1;
        }
        let value = &rest[..i.min(rest.len())];
        found.push(value.to_string());
    }
    match found.as_slice() {
        [v] if !v.is_empty() => Some(v.clone()),
        _ => None,
    }
}

// --- device name mapping -------------------------------------------------------------------

static RE_XDEV: Rx = Rx::new(r"^/dev/(h|s|v|xv)d([a-z]+)(\d*)$");
static RE_CCISS: Rx = Rx::new(r"^/dev/(cciss/c\d+d\d+)(?:p(\d+))?$");
static RE_MDN: Rx = Rx::new(r"^/dev/md\d+$");
static RE_DISKBYID: Rx = Rx::new(r"^/dev/disk/by-id/.*-part(\d+)$");
static RE_FREEBSD_GPT: Rx = Rx::new(r"^/dev/(ada{0,1}|vtbd)(\d+)p(\d+)$");
static RE_FREEBSD_MBR: Rx = Rx::new(r"^/dev/(ada{0,1}|vtbd)(\d+)s(\d+)([a-z])$");
static RE_NETBSD_DEV: Rx = Rx::new(r"^/dev/(l|s)d([0-9])([a-z])$");
static RE_OPENBSD_DEV: Rx = Rx::new(r"^/dev/(s|w)d([0-9])([a-z])$");
static RE_HURD_DEV: Rx = Rx::new(r"^/dev/(h)d(\d+)s(\d+)$");
static RE_OPENBSD_DUID: Rx = Rx::new(r"^[0-9a-f]{16}\.[a-z]");

/// What device-name mapping needs to know about the appliance, gathered once per fstab.
pub struct DeviceContext {
    /// The appliance's whole disks in order (`/dev/sda`, …).
    pub devices: Vec<String>,
    /// The LVs as `/dev/VG/LV`.
    pub lvs: Vec<String>,
    /// Guest md device name → appliance md device.
    pub md_map: HashMap<String, String>,
}

impl DeviceContext {
    pub fn gather(io: &mut Io) -> DeviceContext {
        DeviceContext {
            devices: io.be.list_devices().unwrap_or_default(),
            lvs: io.be.lvs().unwrap_or_default(),
            md_map: HashMap::new(),
        }
    }
}

/// Doubles `-` as device-mapper does in `VG-LV` names.
fn dm_escape(s: &str) -> String {
    s.replace('-', "--")
}

/// The `/dev/VG/LV` name of a `/dev/mapper/VG-LV` device, if it is an LV.
pub fn lv_canonical(lvs: &[String], device: &str) -> Option<String> {
    let name = device.strip_prefix("/dev/mapper/")?;
    lvs.iter()
        .find(|lv| {
            let mut parts = lv.trim_start_matches("/dev/").splitn(2, '/');
            match (parts.next(), parts.next()) {
                (Some(vg), Some(l)) => format!("{}-{}", dm_escape(vg), dm_escape(l)) == name,
                _ => false,
            }
        })
        .cloned()
}

/// The daemon's `is_partition`: the name ends in a partition number other than 0.
fn looks_like_partition(dev: &str) -> bool {
    let digits: String = dev
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    !digits.is_empty() && digits.chars().any(|c| c != '0')
}

/// The "xdev" rule: guest disk letter → appliance disk by index, plus the partition number.
fn resolve_xdev(ctx: &DeviceContext, index: i64, part: &str, default: &str) -> String {
    if index >= 0 && (index as u64) < ctx.devices.len() as u64 {
        let dev = format!("{}{}", ctx.devices[index as usize], part);
        if looks_like_partition(&dev) {
            return dev;
        }
    }
    default.to_string()
}

fn sd_letter(disk: i64) -> char {
    (b'a' + disk as u8) as char
}

fn group(c: &[Option<String>], i: usize) -> &str {
    c.get(i).and_then(|g| g.as_deref()).unwrap_or("")
}

/// `resolve_fstab_device` of libguestfs 1.48: maps a guest `/dev/…` name to the appliance.
pub fn resolve_fstab_device(ctx: &DeviceContext, spec: &str, os_type: &str) -> Result<String> {
    let default = spec.to_string();
    if spec.starts_with("/dev/mapper") {
        return Ok(lv_canonical(&ctx.lvs, spec).unwrap_or(default));
    }
    if let Some(c) = RE_XDEV.captures(spec) {
        return Ok(resolve_xdev(
            ctx,
            drive_index(group(&c, 2)),
            group(&c, 3),
            spec,
        ));
    }
    if RE_CCISS.is_match(spec) {
        return Ok(default);
    }
    if RE_MDN.is_match(spec) {
        return Ok(ctx.md_map.get(spec).cloned().unwrap_or(default));
    }
    if let Some(c) = RE_DISKBYID.captures(spec) {
        let part = int_of_string(group(&c, 1))?;
        if ctx.devices.len() != 1 {
            return Ok(default);
        }
        let dev = format!("/dev/sda{}", part);
        return Ok(if looks_like_partition(&dev) {
            dev
        } else {
            default
        });
    }
    if let Some(c) = RE_FREEBSD_GPT.captures(spec) {
        let disk = int_of_string(group(&c, 2))?;
        let part = int_of_string(group(&c, 3))?;
        if (0..=26).contains(&disk) && (0..=128).contains(&part) {
            return Ok(format!("/dev/sd{}{}", sd_letter(disk), part));
        }
        return Ok(default);
    }
    if let Some(c) = RE_FREEBSD_MBR.captures(spec) {
        let disk = int_of_string(group(&c, 2))?;
        let slice = int_of_string(group(&c, 3))?;
        let part = group(&c, 4)
            .as_bytes()
            .first()
            .map(|&b| (b - b'a') as i64)
            .unwrap_or(0);
        let part = if part > 2 { part - 1 } else { part };
        if (0..=26).contains(&disk) && slice == 1 && (0..25).contains(&part) {
            return Ok(format!("/dev/sd{}{}", sd_letter(disk), part + 5));
        }
        return Ok(default);
    }
    if os_type == "netbsd" {
        if let Some(c) = RE_NETBSD_DEV.captures(spec) {
            let disk = int_of_string(group(&c, 2))?;
            let part = group(&c, 3)
                .as_bytes()
                .first()
                .map(|&b| (b - b'a') as i64)
                .unwrap_or(0);
            let part = if part > 3 { part - 2 } else { part };
            if disk >= 0 && (0..24).contains(&part) {
                return Ok(format!("/dev/sd{}{}", sd_letter(disk), part + 5));
            }
            return Ok(default);
        }
    }
    if os_type == "openbsd" {
        if let Some(c) = RE_OPENBSD_DEV.captures(spec) {
            let disk = int_of_string(group(&c, 2))?;
            let part = group(&c, 3)
                .as_bytes()
                .first()
                .map(|&b| (b - b'a') as i64)
                .unwrap_or(0);
            let part = if part > 2 { part - 1 } else { part };
            if disk >= 0 && (0..15).contains(&part) {
                return Ok(format!("/dev/sd{}{}", sd_letter(disk), part + 5));
            }
            return Ok(default);
        }
    }
    if let Some(c) = RE_HURD_DEV.captures(spec) {
        let disk = int_of_string(group(&c, 2))?;
        let part = int_of_string(group(&c, 3))?;
        if disk < 0 {
            return Ok(default);
        }
        let letters = drive_name(disk as u64);
        return Ok(resolve_xdev(
            ctx,
            drive_index(&letters),
            &part.to_string(),
            spec,
        ));
    }
    Ok(default)
}

/// Mountpoints inspection ignores.
fn ignored_mountpoint(mp: &str) -> bool {
    mp.starts_with("/dev/")
        || mp == "/dev"
        || mp.starts_with("/media/")
        || mp.starts_with("/proc/")
        || mp == "/proc"
        || mp.starts_with("/selinux/")
        || mp == "/selinux"
        || mp.starts_with("/sys/")
        || mp == "/sys"
}

/// Removable media in fstab.
fn removable(spec: &str) -> bool {
    let digit7 = spec.as_bytes().get(7).is_some_and(|b| b.is_ascii_digit());
    ((spec.starts_with("/dev/fd") || spec.starts_with("/dev/cd")) && digit7)
        || spec == "/dev/floppy"
        || spec == "/dev/cdrom"
        || spec.starts_with("/dev/iso9660/")
}

/// Turns one fstab entry into (mountable, mountpoint), or None if it is skipped.
fn check_fstab_entry(
    io: &mut Io,
    ctx: &DeviceContext,
    root: &str,
    os_type: &str,
    e: &FstabEntry,
) -> Result<Option<(String, String)>> {
    // aug_get of vfstype fails when the lens stored several nodes.
    let vfstype = match e.vfstype.as_slice() {
        [t] => t.as_str(),
        _ => return Ok(None),
    };
    let spec = e.spec.as_str();
    if removable(spec) {
        return Ok(None);
    }
    let mp = unix_canonical_path(&e.file);
    if ignored_mountpoint(&mp) {
        return Ok(None);
    }
    let is_bsd = matches!(os_type, "freebsd" | "netbsd" | "openbsd");
    let mountable = if let Some(uuid) = spec.strip_prefix("UUID=") {
        io.be.findfs_uuid(&shell_unquote(uuid)).ok()
    } else if let Some(label) = spec.strip_prefix("LABEL=") {
        io.be.findfs_label(&shell_unquote(label)).ok()
    } else if spec == "/dev/root" || (is_bsd && mp == "/") {
        Some(root.to_string())
    } else if spec.starts_with("/dev/") {
        Some(resolve_fstab_device(ctx, spec, os_type)?)
    } else if RE_OPENBSD_DUID.is_match(spec) {
        let part = spec.as_bytes().get(17).map(|&b| b as char).unwrap_or('a');
        Some(resolve_fstab_device(
            ctx,
            &format!("/dev/sd0{}", part),
            os_type,
        )?)
    } else {
        None
    };
    let Some(mut mountable) = mountable else {
        return Ok(None);
    };
    if vfstype == "btrfs" && !mountable.starts_with("btrfsvol:") {
        // Options are also matched in reverse order: the last `subvol=` wins.
        if let Some((_, Some(subvol))) = e
            .opts
            .iter()
            .rev()
            .find(|(n, v)| n == "subvol" && v.is_some())
        {
            mountable = format!("btrfsvol:{}/{}", mountable, subvol);
        }
    }
    Ok(Some((mountable, mp)))
}

/// Reads an Augeas-managed file if it is a regular file (following symlinks) of at most
/// 100,000 bytes; otherwise it is treated as absent.
pub fn read_augeas_file(io: &mut Io, path: &str) -> Option<Vec<u8>> {
    if !io.is_file(path, true) {
        return None;
    }
    io.read_if_small(path, AUGEAS_FILE_MAX).ok().flatten()
}

/// `check_fstab`: the guest's fstab as (mountable, mountpoint) pairs. Parse errors in fstab
/// or (for Linux) mdadm.conf abort, as in libguestfs.
pub fn check_fstab(
    io: &mut Io,
    root: &str,
    os_type: &str,
    mdadm_conf: bool,
) -> Result<Vec<(String, String)>> {
    let fstab = read_augeas_file(io, "/etc/fstab");
    let mut md_files = Vec::new();
    if mdadm_conf {
        for f in ["/etc/mdadm.conf", "/etc/mdadm/mdadm.conf"] {
            if let Some(c) = read_augeas_file(io, f) {
                md_files.push((f, c));
            }
        }
    }
    let entries = match &fstab {
        Some(c) => parse_fstab(c),
        None => Ok(Vec::new()),
    };
    let arrays: Vec<_> = md_files
        .iter()
        .map(|(f, c)| (*f, parse_mdadm_conf(c)))
        .collect();
    // libguestfs looks for Augeas's error nodes in reverse tree order, so when several files
    // fail the last one is reported.
    for (f, r) in arrays.iter().rev() {
        if let Err(e) = r {
            return Err(e.to_error(f));
        }
    }
    let entries = entries.map_err(|e| e.to_error("/etc/fstab"))?;
    let arrays: Vec<MdArray> = arrays
        .into_iter()
        .flat_map(|(_, r)| r.unwrap_or_default())
        .collect();
    let mut ctx = DeviceContext::gather(io);
    ctx.md_map = map_md_devices(io, &arrays);
    // The OCaml Augeas binding returns matches in reverse order: libguestfs 1.48 processes
    // (and lists) the fstab entries last line first.
    let mut out = Vec::new();
    for e in entries.iter().rev() {
        if let Some(pair) = check_fstab_entry(io, &ctx, root, os_type, e)? {
            out.push(pair);
        }
    }
    Ok(out)
}

/// Normalises an md UUID: hex digits kept (case kept), `:` `.` ` ` `-` skipped, anything
/// else invalid; the result must be 32 digits.
pub fn parse_md_uuid(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_hexdigit() {
            out.push(c);
        } else if !matches!(c, ':' | '.' | ' ' | '-') {
            return None;
        }
    }
    (out.len() == 32).then_some(out)
}

/// Guest md names → appliance md devices, matched by array UUID. The backends do not report
/// md UUIDs (`mdadm -D --export`), so this only works when they do; without appliance md
/// devices there is nothing to map.
fn map_md_devices(io: &mut Io, arrays: &[MdArray]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let md_devices = io.be.list_md_devices().unwrap_or_default();
    if md_devices.is_empty() {
        return map;
    }
    let app_uuids: HashMap<String, String> = HashMap::new();
    for a in arrays {
        if let ([name], [uuid]) = (a.devicename.as_slice(), a.uuid.as_slice()) {
            if let Some(u) = parse_md_uuid(uuid) {
                if let Some(dev) = app_uuids.get(&u) {
                    map.insert(name.clone(), dev.clone());
                }
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(n: usize) -> DeviceContext {
        DeviceContext {
            devices: (0..n)
                .map(|i| format!("/dev/sd{}", drive_name(i as u64)))
                .collect(),
            lvs: vec!["/dev/VG/Root".into(), "/dev/my-vg/lv-1".into()],
            md_map: [("/dev/md0".to_string(), "/dev/md127".to_string())].into(),
        }
    }

    #[test]
    fn fstab_lines() {
        let f = parse_fstab(
            b"# comment\n\nLABEL=BOOT /boot ext2 defaults 0 0\n/dev/sda2 / ext4 rw,relatime,data=ordered 0 1\n  \n/dev/mapper/cryptswap1 none swap sw 0 0\n",
        )
        .unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].spec, "LABEL=BOOT");
        assert_eq!(f[0].file, "/boot");
        assert_eq!(f[0].vfstype, vec!["ext2"]);
        assert_eq!(
            f[1].opts[2],
            ("data".to_string(), Some("ordered".to_string()))
        );
        assert_eq!(f[1].passno.as_deref(), Some("1"));
        assert_eq!(f[2].file, "none");
        // Fewer fields, comments at the end, no final newline.
        let f = parse_fstab(b"UUID=x / btrfs subvol=/@,ro # root\nproc /proc proc").unwrap();
        assert_eq!(f[0].opts[0], ("subvol".to_string(), Some("/@".to_string())));
        assert_eq!(f[1].opts.len(), 0);
        // Several types, `opt=` with no value.
        let f = parse_fstab(b"/dev/sdb1 /mnt ext4,ext3 a=,b\n").unwrap();
        assert_eq!(f[0].vfstype, vec!["ext4", "ext3"]);
        assert_eq!(f[0].opts[0], ("a".to_string(), None));
    }

    #[test]
    fn fstab_errors() {
        assert_eq!(parse_fstab(b"/dev/sda1 /\n").unwrap_err().line, 1);
        assert_eq!(
            parse_fstab(b"# ok\n/dev/sda1 / ext4 d 0 0 9\n")
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(parse_fstab(b"/dev/sda1 / ext4 d x\n").unwrap_err().line, 1);
        assert!(parse_fstab(b",x / ext4\n").is_err());
        assert!(parse_fstab(b"x /a#b ext4\n").is_err());
        let e = parse_fstab(b"\n\nbad\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(
            e.to_error("/etc/fstab").message,
            "/etc/fstab:<missing>:<missing>: augeas parse failure: <missing>"
        );
        // A trailing \r becomes an option.
        let f = parse_fstab(b"a b c \r\n").unwrap();
        assert_eq!(f[0].opts[0].0, "\r");
    }

    #[test]
    fn mdadm() {
        let a = parse_mdadm_conf(
            b"# mdadm.conf\nDEVICE partitions\nARRAY /dev/md0 level=raid1 num-devices=2 UUID=12345678:9abcdef0:12345678:9abcdef0\nARRAY /dev/md1 metadata=1.2\n   UUID=aaaaaaaa:bbbbbbbb:cccccccc:dddddddd name=x:1\nMAILADDR root\nauto +imsm -all\n",
        )
        .unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].devicename, vec!["/dev/md0"]);
        assert_eq!(a[1].uuid, vec!["aaaaaaaa:bbbbbbbb:cccccccc:dddddddd"]);
        assert_eq!(parse_mdadm_conf(b"FOO bar\n").unwrap_err().line, 1);
        assert_eq!(
            parse_mdadm_conf(b"ARRAY /dev/md0 bogus=1\n")
                .unwrap_err()
                .line,
            1
        );
        assert_eq!(
            parse_mdadm_conf(b"\n  ARRAY /dev/md0\n").unwrap_err().line,
            2
        );
        assert_eq!(
            parse_md_uuid("12345678:9abcdef0:12345678:9ABCDEF0").as_deref(),
            Some("123456789abcdef0123456789ABCDEF0")
        );
        assert_eq!(parse_md_uuid("1234"), None);
        assert_eq!(parse_md_uuid("12345678:9abcdef0:12345678:9abcdefg"), None);
    }

    #[test]
    fn sysconfig_network() {
        assert_eq!(
            sysconfig_hostname(b"NETWORKING=yes\nHOSTNAME=fedora.invalid\n").as_deref(),
            Some("fedora.invalid")
        );
        assert_eq!(
            sysconfig_hostname(b"HOSTNAME=\"a b\" # x\n").as_deref(),
            Some("\"a b\"")
        );
        assert_eq!(sysconfig_hostname(b"HOSTNAME=a\nHOSTNAME=b\n"), None);
        assert_eq!(sysconfig_hostname(b"HOSTNAME=\n"), None);
        assert_eq!(sysconfig_hostname(b"NETWORKING=yes\n"), None);
    }

    #[test]
    fn device_mapping() {
        let c = ctx(2);
        let r = |s: &str, os: &str| resolve_fstab_device(&c, s, os).unwrap();
        assert_eq!(r("/dev/hda1", "linux"), "/dev/sda1");
        assert_eq!(r("/dev/xvdb2", "linux"), "/dev/sdb2");
        assert_eq!(r("/dev/vda3", "linux"), "/dev/sda3");
        assert_eq!(r("/dev/sdb", "linux"), "/dev/sdb");
        assert_eq!(r("/dev/sdc1", "linux"), "/dev/sdc1");
        assert_eq!(r("/dev/sda0", "linux"), "/dev/sda0");
        assert_eq!(r("/dev/mapper/VG-Root", "linux"), "/dev/VG/Root");
        assert_eq!(r("/dev/mapper/my--vg-lv--1", "linux"), "/dev/my-vg/lv-1");
        assert_eq!(
            r("/dev/mapper/cryptswap1", "linux"),
            "/dev/mapper/cryptswap1"
        );
        assert_eq!(r("/dev/cciss/c0d0p1", "linux"), "/dev/cciss/c0d0p1");
        assert_eq!(r("/dev/md0", "linux"), "/dev/md127");
        assert_eq!(r("/dev/md1", "linux"), "/dev/md1");
        assert_eq!(
            r("/dev/disk/by-id/ata-X-part2", "linux"),
            "/dev/disk/by-id/ata-X-part2"
        );
        assert_eq!(r("/dev/ada0p2", "freebsd"), "/dev/sda2");
        assert_eq!(r("/dev/vtbd1p3", "linux"), "/dev/sdb3");
        assert_eq!(r("/dev/ada0s1a", "freebsd"), "/dev/sda5");
        assert_eq!(r("/dev/ada0s1b", "freebsd"), "/dev/sda6");
        assert_eq!(r("/dev/ada0s1d", "freebsd"), "/dev/sda7");
        assert_eq!(r("/dev/ada0s2a", "freebsd"), "/dev/ada0s2a");
        assert_eq!(r("/dev/ld0a", "netbsd"), "/dev/sda5");
        assert_eq!(r("/dev/wd0a", "netbsd"), "/dev/wd0a");
        assert_eq!(r("/dev/ld0e", "netbsd"), "/dev/sda7");
        assert_eq!(r("/dev/sd0e", "netbsd"), "/dev/sda7");
        assert_eq!(r("/dev/sd0e", "openbsd"), "/dev/sda8");
        assert_eq!(r("/dev/hd0s1", "hurd"), "/dev/sda1");
        assert_eq!(r("/dev/hd5s1", "hurd"), "/dev/hd5s1");
        assert_eq!(r("/dev/nvme0n1p1", "linux"), "/dev/nvme0n1p1");
        let one = ctx(1);
        assert_eq!(
            resolve_fstab_device(&one, "/dev/disk/by-id/ata-X-part2", "linux").unwrap(),
            "/dev/sda2"
        );
        assert!(
            resolve_fstab_device(&one, "/dev/disk/by-id/x-part99999999999999999999", "linux")
                .is_err()
        );
    }

    #[test]
    fn filters() {
        assert!(removable("/dev/fd0"));
        assert!(removable("/dev/cdrom"));
        assert!(!removable("/dev/fdx"));
        assert!(ignored_mountpoint("/proc"));
        assert!(ignored_mountpoint("/media/cdrom"));
        assert!(!ignored_mountpoint("/media"));
        assert!(RE_OPENBSD_DUID.is_match("0123456789abcdef.a"));
    }
}

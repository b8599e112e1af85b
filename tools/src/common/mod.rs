//! What every tool shares: option parsing, help, drives and mounts, messages and errors.

pub mod args;
pub mod c_numbers;
pub mod counting;
pub mod csv;
pub mod daemon;
pub mod fish;
pub mod getopt;
pub mod human;
pub mod inspect;
pub mod journal_line;
pub mod keys;
pub mod libvirt;
pub mod lines;
pub mod listing;
pub mod output;
pub mod perl_expr;
pub mod progress;
pub mod registry_merge;
pub mod registry_path;
pub mod tools_config;
pub mod write;
pub mod xml;
pub mod xpath;

use clap::{ArgAction, ArgMatches, Command};
use getopt::{GetoptTables, Parsed};
use guestfs::protocol::lossless;
use guestfs::{AddDriveOpts, Handle};
use output::{MachineOutput, Record};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The version the tools report: the guestfs-tools (or libguestfs) release they match.
pub const GUESTFS_TOOLS_VERSION: &str = "1.48.2";
pub const LIBGUESTFS_VERSION: &str = "1.48.6";

/// The upstream packages whose tools are rebuilt here, with their releases: a tool's `-V`
/// prints the release its 1.48 original comes from (its `ToolSpec::version`).
pub const UPSTREAM: &[(&str, &str)] = &[
    ("libguestfs", LIBGUESTFS_VERSION),
    ("guestfs-tools", GUESTFS_TOOLS_VERSION),
];

/// The upstream package a tool's version belongs to.
pub fn upstream_package(spec: &ToolSpec) -> &'static str {
    UPSTREAM
        .iter()
        .find(|(_, version)| *version == spec.version)
        .map(|(package, _)| *package)
        .expect("a tool's version is one of UPSTREAM's")
}

/// `virt-tools --version`: this project's release, then the upstream releases it reproduces.
pub fn version_line() -> String {
    let upstream: Vec<String> = UPSTREAM
        .iter()
        .map(|(package, version)| format!("{} {}", package, version))
        .collect();
    format!(
        "virt-tools {} (reproduces {})",
        env!("CARGO_PKG_VERSION"),
        upstream.join(", ")
    )
}

/// A tool's fixed description: its help text pieces and getopt tables.
pub struct ToolSpec {
    pub name: &'static str,
    /// The first line of `--help` after `NAME: `.
    pub description: &'static str,
    pub copyright: &'static str,
    /// The usage lines after `Usage:` (without the leading two spaces).
    pub usage: &'static [&'static str],
    pub tables: GetoptTables,
    pub version: &'static str,
    /// Words `--machine-readable` lists when given alone, after the tool's name.
    pub features: &'static [&'static str],
    /// Options parsed like Perl's Getopt::Long (virt-win-reg): long options may start with
    /// one dash, and an unknown option gives `Unknown option: NAME`, usage and exit 2.
    pub perl_style: bool,
    /// 1.48's hand-written `--help`, printed instead of the one made from the options.
    pub help_text: Option<&'static str>,
    /// The prose of the man page (`man/src/TOOL.txt`).
    pub man: &'static str,
    pub command: fn() -> Command,
    pub run: fn(&mut Ctx) -> i32,
}

/// A drive given with `-a` (with the `--format`/`--blocksize` in force when it was given) or
/// the disks of a libvirt guest given with `-d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveArg {
    pub source: DriveSource,
    pub format: Option<String>,
    pub blocksize: Option<u32>,
    /// Given with `-A` or `-D`: virt-diff's second guest.
    pub second: bool,
}

/// What a drive option names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriveSource {
    /// A disk image file or URI (`-a`).
    Image(String),
    /// A libvirt guest, by name or UUID (`-d`).
    Domain(String),
}

impl DriveArg {
    pub fn image(path: String) -> DriveArg {
        DriveArg {
            source: DriveSource::Image(path),
            format: None,
            blocksize: None,
            second: false,
        }
    }

    pub fn domain(guest: String) -> DriveArg {
        DriveArg {
            source: DriveSource::Domain(guest),
            ..DriveArg::image(String::new())
        }
    }
}

/// A `-m DEV[:MNT[:OPTS[:FSTYPE]]]` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpec {
    pub device: String,
    pub mountpoint: String,
    pub options: Option<String>,
    pub fstype: Option<String>,
}

impl MountSpec {
    /// Splits on the first three `:`.
    pub fn parse(s: &str) -> MountSpec {
        let mut parts = s.splitn(4, ':');
        let device = parts.next().unwrap_or_default().to_string();
        let mountpoint = parts
            .next()
            .map(str::to_string)
            .unwrap_or_else(|| "/".to_string());
        let options = parts.next().map(str::to_string);
        let fstype = parts.next().map(str::to_string);
        MountSpec {
            device,
            mountpoint,
            options,
            fstype,
        }
    }
}

/// A `--key` selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySelector {
    Key { id: String, key: String },
    File { id: String, file: String },
}

impl KeySelector {
    pub fn parse(s: &str) -> Option<KeySelector> {
        let mut parts = s.splitn(3, ':');
        let id = parts.next()?.to_string();
        let kind = parts.next()?;
        let rest = parts.next()?.to_string();
        if id.is_empty() {
            return None;
        }
        match kind {
            "key" => Some(KeySelector::Key { id, key: rest }),
            "file" => Some(KeySelector::File { id, file: rest }),
            _ => None,
        }
    }
}

/// Everything a running tool needs: its name, options and output channels.
pub struct Ctx {
    /// The program name for messages (basename of argv[0]).
    pub prog: String,
    pub matches: ArgMatches,
    pub operands: Vec<String>,
    pub drives: Vec<DriveArg>,
    pub mounts: Vec<MountSpec>,
    pub keys: Vec<KeySelector>,
    pub verbose: bool,
    pub trace: bool,
    /// The machine-readable stream, shared with the handle's callbacks.
    pub machine: Option<Arc<Mutex<MachineOutput>>>,
}

/// How a tool run ends early: with an exit status, messages already printed.
pub type Exit = i32;

impl Ctx {
    pub fn flag(&self, id: &str) -> bool {
        self.matches
            .try_get_one::<bool>(id)
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false)
    }

    pub fn values(&self, id: &str) -> Vec<String> {
        self.matches
            .try_get_many::<String>(id)
            .ok()
            .flatten()
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    }

    /// The last value of an option given several times.
    pub fn value(&self, id: &str) -> Option<String> {
        self.values(id).pop()
    }

    /// `PROG: error: MSG` on stderr (and as a JSON error record); returns exit status 1.
    pub fn error(&self, msg: &str) -> Exit {
        self.message_json("error", msg);
        lossless::eprintln_bytes(&format!("{}: error: {}", self.prog, msg));
        1
    }

    /// `PROG: MSG` on stderr (1.48's wording for messages without "error:"); returns 1.
    pub fn fail(&self, msg: &str) -> Exit {
        self.message_json("error", msg);
        lossless::eprintln_bytes(&format!("{}: {}", self.prog, msg));
        1
    }

    /// The `Try ‘PROG --help’` line; returns exit status 1.
    pub fn try_help(&self) -> Exit {
        eprintln!("Try ‘{} --help’ for more information.", self.prog);
        1
    }

    /// `PROG: error: extra argument ‘X’ on command line.` with the `--format=` hint.
    pub fn extra_argument(&self, arg: &str, hint_options: &str) -> Exit {
        self.message_json(
            "error",
            &format!("extra argument ‘{}’ on command line.", arg),
        );
        eprintln!(
            "{}: error: extra argument ‘{}’ on command line.\nMake sure to specify the argument for {} like '--format={}'.",
            self.prog, arg, hint_options, arg
        );
        self.try_help()
    }

    fn message_json(&self, kind: &str, msg: &str) {
        if let Some(m) = &self.machine {
            if let Ok(mut m) = m.lock() {
                let _ = m.message(kind, msg);
            }
        }
    }

    /// True when results go to the machine-readable stream on stdout, so the human output
    /// must be suppressed.
    pub fn machine_on_stdout(&self) -> bool {
        self.machine
            .as_ref()
            .is_some_and(|m| m.lock().map(|m| m.is_stdout()).unwrap_or(false))
    }

    /// Writes a result record to the machine-readable stream, if any.
    pub fn record(&self, record: Record) {
        if let Some(m) = &self.machine {
            if let Ok(mut m) = m.lock() {
                let _ = m.write(record);
            }
        }
    }

    pub fn machine_readable(&self) -> bool {
        self.machine.is_some()
    }

    /// The writer for human output: stdout, or nothing when stdout carries JSON.
    pub fn human_out(&self) -> Box<dyn Write> {
        if self.machine_on_stdout() {
            Box::new(std::io::sink())
        } else {
            Box::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout().lock(),
            ))
        }
    }

    /// Checks there is at least one `-a` or `-d`.
    pub fn require_drives(&self) -> Result<(), Exit> {
        if self.drives.is_empty() {
            self.message_json("error", "you must specify at least one -a or -d option.");
            eprintln!(
                "{}: error: you must specify at least one -a or -d option.",
                self.prog
            );
            return Err(self.try_help());
        }
        Ok(())
    }

    /// `-P N` (threads for scanning every libvirt guest) must be a number.
    pub fn check_threads(&self) -> Result<(), Exit> {
        match self.value("threads") {
            Some(p) if p.parse::<i32>().is_err() => {
                eprintln!("{}: -P option is not numeric", self.prog);
                Err(1)
            }
            _ => Ok(()),
        }
    }

    /// The libvirt URI of `-c`, if given.
    pub fn libvirt_uri(&self) -> Option<String> {
        self.value("connect")
    }

    /// A handle with the tool's drives added read-only (or read-write), launched.
    pub fn launch(&self, readonly: bool) -> Result<Handle, Exit> {
        self.launch_drives(false, readonly)
    }

    /// Like [`Self::launch`], with `configure` applied to the handle before it launches.
    pub fn launch_configured(
        &self,
        readonly: bool,
        configure: impl FnOnce(&mut Handle),
    ) -> Result<Handle, Exit> {
        self.launch_drives_configured(false, readonly, configure)
    }

    /// A launched handle with the `-a` drives (`second` false) or the `-A` drives.
    pub fn launch_drives(&self, second: bool, readonly: bool) -> Result<Handle, Exit> {
        self.launch_drives_configured(second, readonly, |_| ())
    }

    fn launch_drives_configured(
        &self,
        second: bool,
        readonly: bool,
        configure: impl FnOnce(&mut Handle),
    ) -> Result<Handle, Exit> {
        let mut g = self.handle();
        choose_backend(&mut g, readonly);
        configure(&mut g);
        for d in self.drives.iter().filter(|d| d.second == second) {
            self.add_drive(&mut g, d, readonly)?;
        }
        if g.launch().is_err() {
            return Err(1);
        }
        Ok(g)
    }

    /// Adds one `-a` image or the disks of one `-d` guest to the handle.
    pub fn add_drive(&self, g: &mut Handle, d: &DriveArg, readonly: bool) -> Result<(), Exit> {
        let added = match &d.source {
            DriveSource::Image(path) => {
                let opts = AddDriveOpts {
                    format: d.format.clone(),
                    readonly: Some(readonly),
                    blocksize: d.blocksize.map(|b| b as i32),
                    ..Default::default()
                };
                g.add_drive_opts(path, opts).map(|()| 1)
            }
            DriveSource::Domain(guest) => {
                let opts = libvirt::domain_opts(self.libvirt_uri(), readonly);
                g.add_domain(guest, opts)
            }
        };
        added.map(drop).map_err(|_| 1)
    }

    /// A new handle configured from the common options, with errors and warnings also sent
    /// to the machine-readable stream.
    pub fn handle(&self) -> Handle {
        let mut g = Handle::new();
        if self.verbose {
            let _ = g.set_verbose(true);
        }
        if self.trace {
            let _ = g.set_trace(true);
        }
        if let Some(m) = &self.machine {
            let m1 = m.clone();
            g.set_error_handler(Box::new(move |msg: &str| {
                lossless::eprintln_bytes(&format!("libguestfs: error: {}", msg));
                if let Ok(mut m) = m1.lock() {
                    let _ = m.message("error", msg);
                }
            }));
            let m2 = m.clone();
            let _ = g.set_event_callback(
                Box::new(move |ev: &guestfs::Event| {
                    eprintln!("libguestfs: warning: {}", ev.message);
                    if let Ok(mut m) = m2.lock() {
                        let _ = m.message("warning", ev.message);
                    }
                }),
                guestfs::EventKind::Warning.bit(),
            );
        }
        let mut display = progress::ProgressDisplay::new(self.machine.clone());
        let _ = g.set_event_callback(
            Box::new(move |ev: &guestfs::Event| {
                if let Some((position, total)) = ev.progress() {
                    display.update(position, total)
                }
            }),
            guestfs::EventKind::Progress.bit(),
        );
        g
    }

    /// Mounts the `-m` options in order, with 1.48's messages when one fails.
    pub fn mount_specs(&self, g: &mut Handle, readonly: bool) -> Result<(), Exit> {
        for ms in &self.mounts {
            let options = match (&ms.options, readonly) {
                (Some(o), _) => o.clone(),
                (None, true) => "ro".to_string(),
                (None, false) => String::new(),
            };
            let r = match &ms.fstype {
                Some(t) => g.mount_vfs(&options, t, &ms.device, &ms.mountpoint),
                None => g.mount_options(&options, &ms.device, &ms.mountpoint),
            };
            if r.is_err() {
                let fses = g.list_filesystems().unwrap_or_default();
                if fses.is_empty() {
                    return Err(1);
                }
                eprintln!("{}: ‘{}’ could not be mounted.", self.prog, ms.device);
                if let Some(o) = &ms.options {
                    eprintln!(
                        "{}: Check mount(8) man page to ensure options ‘{}’",
                        self.prog, o
                    );
                    eprintln!(
                        "{}: are supported by the filesystem that is being mounted.",
                        self.prog
                    );
                }
                eprintln!(
                    "{}: Did you mean to mount one of these filesystems?",
                    self.prog
                );
                for (dev, fstype) in fses {
                    eprintln!("{}: \t{} ({})", self.prog, suggested_mount(&dev), fstype);
                }
                return Err(1);
            }
        }
        Ok(())
    }
}

/// Without `LIBGUESTFS_BACKEND`, a handle that writes uses the appliance (the native backend
/// only reads); a read-only one lets the library read natively when it can.
pub fn choose_backend(g: &mut Handle, readonly: bool) {
    if std::env::var_os("LIBGUESTFS_BACKEND").is_none()
        && std::env::var_os("LIBGUESTFS_ATTACH_METHOD").is_none()
    {
        let _ = g.set_backend(if readonly { "auto" } else { "direct" });
    }
}

/// How 1.48 suggests a filesystem after a failed `-m`: a btrfs subvolume as the `-m` spec
/// `DEV:/:subvol=PATH`. 1.48 takes DEV from the daemon untranslated, that is as the
/// appliance's kernel names it: its own disk is `sda` there, so the user's `/dev/sda` shows
/// as `/dev/sdb`, `/dev/sdb2` as `/dev/sdc2`.
fn suggested_mount(mountable: &str) -> String {
    let Some(rest) = mountable.strip_prefix("btrfsvol:") else {
        return mountable.to_string();
    };
    let dev_len = rest
        .strip_prefix("/dev/")
        .and_then(|r| r.find('/'))
        .map_or(rest.len(), |i| i + "/dev/".len());
    let (device, subvol) = rest.split_at(dev_len);
    let device = match device.strip_prefix("/dev/sd") {
        Some(name) => {
            let letters: String = name.chars().take_while(char::is_ascii_lowercase).collect();
            match guestfs::device_name::drive_index(&letters) {
                Some(i) => format!(
                    "/dev/sd{}{}",
                    guestfs::device_name::drive_letters(i + 1),
                    &name[letters.len()..]
                ),
                None => device.to_string(),
            }
        }
        None => device.to_string(),
    };
    format!("{}:/:subvol={}", device, subvol.trim_start_matches('/'))
}

/// Prints `--help`.
fn print_help(spec: &ToolSpec, prog: &str, cmd: &Command) {
    if let Some(text) = spec.help_text {
        print!("{}", text.replace("{prog}", prog));
        return;
    }
    let mut s = String::new();
    s.push_str(&format!(
        "{}: {}\n{}\nUsage:\n",
        prog, spec.description, spec.copyright
    ));
    for u in spec.usage {
        s.push_str(&format!("  {}\n", u.replace("{prog}", prog)));
    }
    s.push_str("Options:\n");
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
    {
        let mut lhs = String::new();
        if let Some(c) = arg.get_short() {
            lhs.push('-');
            lhs.push(c);
        }
        let longs: Vec<&str> = arg
            .get_long()
            .into_iter()
            .chain(arg.get_visible_aliases().unwrap_or_default())
            .collect();
        for l in longs {
            if !lhs.is_empty() {
                lhs.push('|');
            }
            lhs.push_str("--");
            lhs.push_str(l);
        }
        let takes_value = matches!(
            arg.get_action(),
            clap::ArgAction::Set | clap::ArgAction::Append
        );
        if takes_value {
            let name = arg
                .get_value_names()
                .and_then(|v| v.first())
                .map(|s| s.to_string())
                .unwrap_or_default();
            if arg.get_num_args().is_some_and(|r| r.min_values() == 0) {
                lhs.push_str(&format!("[={}]", name));
            } else {
                lhs.push(' ');
                lhs.push_str(&name);
            }
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        if lhs.len() <= 20 {
            s.push_str(&format!("  {:<20} {}\n", lhs, help));
        } else {
            s.push_str(&format!("  {}\n{:23}{}\n", lhs, "", help));
        }
    }
    s.push_str(&format!(
        "For more information, see the manpage {}(1).\n",
        prog
    ));
    print!("{}", s);
}

/// A tool's `after_help` is what 1.48 prints after the hint of a usage error (virt-format's
/// warning that it erases disks).
fn print_usage_note(cmd: &Command) {
    if let Some(note) = cmd.get_after_help() {
        eprintln!("{}", note);
    }
}

/// Parses the command line of a tool and runs it; returns the exit status.
pub fn run_tool(spec: &'static ToolSpec, prog: &str, args: Vec<String>) -> i32 {
    let cmd = (spec.command)()
        .disable_help_flag(true)
        .disable_version_flag(true);
    let args = if spec.perl_style {
        perl_long_options(&cmd, args)
    } else {
        args
    };
    let parsed: Parsed = match getopt::getopt(&cmd, &spec.tables, &args) {
        Ok(p) => p,
        Err(e) if spec.perl_style => {
            let name =
                e.0.split('\'')
                    .nth(1)
                    .unwrap_or("")
                    .trim_start_matches('-')
                    .to_string();
            eprintln!("Unknown option: {}", name);
            return 2;
        }
        // With `?` among the short options, getopt's answer to an unknown option is the one
        // it gives `-?`: 1.48's libguestfs-test-tool shows its usage and exits 0.
        Err(e) if spec.tables.short.contains('?') => {
            eprintln!("{}: {}", prog, e.0);
            print_help(spec, prog, &cmd);
            return 0;
        }
        Err(e) => {
            eprintln!("{}: {}", prog, e.0);
            eprintln!("Try ‘{} --help’ for more information.", prog);
            print_usage_note(&cmd);
            return 1;
        }
    };
    let has = |id: &str| parsed.options.iter().any(|o| o.id == id);
    if has("help") && !spec.perl_style {
        print_help(spec, prog, &cmd);
        return 0;
    }
    if has("long-options") {
        print!("{}", getopt::long_options_listing(&spec.tables));
        return 0;
    }
    if has("short-options") {
        print!("{}", getopt::short_options_listing(&spec.tables));
        return 0;
    }
    if has("version") && !spec.perl_style {
        println!("{} {}", prog, spec.version);
        return 0;
    }
    let matches = match cmd
        .clone()
        .no_binary_name(true)
        .try_get_matches_from(getopt::normalised_args(&cmd, &parsed))
    {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{}: {}", prog, e.kind());
            eprintln!("Try ‘{} --help’ for more information.", prog);
            print_usage_note(&cmd);
            return 1;
        }
    };

    // Machine-readable destination: checked before anything else runs.
    let mut machine = None;
    if let Some(occ) = parsed
        .options
        .iter()
        .rev()
        .find(|o| o.id == "machine-readable")
    {
        let dest = match output::parse_destination(occ.value.as_deref()) {
            Ok(d) => d,
            Err(msg) => {
                eprintln!("{}: error: {}", prog, msg);
                return 1;
            }
        };
        match MachineOutput::open(dest.clone()) {
            Ok(m) => machine = Some(Arc::new(Mutex::new(m))),
            Err(e) => {
                eprintln!(
                    "{}: error: --machine-readable: {}: {}",
                    prog,
                    describe(&dest),
                    e
                );
                return 1;
            }
        }
    }

    // Drives in order, each with the --format/--blocksize in force before it.
    let mut drives = Vec::new();
    let mut format: Option<String> = None;
    let mut format_consumed = true;
    let mut blocksize: Option<u32> = None;
    let mut blocksize_consumed = true;
    for occ in &parsed.options {
        match occ.id.as_str() {
            "add" | "add-second" => {
                let path = occ.value.clone().unwrap_or_default();
                if !is_uri(&path) {
                    if let Err(e) = std::fs::File::open(&path) {
                        let msg =
                            guestfs::error::strerror(e.raw_os_error().unwrap_or(libc::ENOENT));
                        eprintln!("{}: access: {}: {}", prog, path, msg);
                        return 1;
                    }
                }
                drives.push(DriveArg {
                    source: DriveSource::Image(path),
                    format: format.clone(),
                    blocksize,
                    second: occ.id == "add-second",
                });
                format_consumed = true;
                blocksize_consumed = true;
            }
            "domain" | "domain-second" => drives.push(DriveArg {
                second: occ.id == "domain-second",
                ..DriveArg::domain(occ.value.clone().unwrap_or_default())
            }),
            "format" => {
                format = occ.value.clone().filter(|v| !v.is_empty());
                format_consumed = false;
            }
            "blocksize" => {
                blocksize = match occ.value.as_deref() {
                    None | Some("") => None,
                    Some(v) => match v.parse::<u32>() {
                        Ok(n) => Some(n),
                        Err(_) => {
                            eprintln!("{}: --blocksize option is not numeric", prog);
                            return 1;
                        }
                    },
                };
                blocksize_consumed = false;
            }
            _ => {}
        }
    }
    // virt-win-reg's --format is for its image operand: there is no -a to come after it.
    if !format_consumed && !spec.perl_style {
        eprintln!(
            "{}: --format parameter must appear before -a parameter",
            prog
        );
        return 1;
    }
    if !blocksize_consumed {
        eprintln!(
            "{}: --blocksize parameter must appear before -a parameter",
            prog
        );
        return 1;
    }
    let mut keys = Vec::new();
    for k in parsed.options.iter().filter(|o| o.id == "key") {
        let sel = k.value.clone().unwrap_or_default();
        match KeySelector::parse(&sel) {
            Some(s) => keys.push(s),
            None => {
                eprintln!("{}: invalid selector for --key: {}", prog, sel);
                return 1;
            }
        }
    }
    let mounts = parsed
        .options
        .iter()
        .filter(|o| o.id == "mount")
        .map(|o| MountSpec::parse(o.value.as_deref().unwrap_or_default()))
        .collect();
    let verbose = parsed.options.iter().any(|o| o.id == "verbose");
    let trace = parsed.options.iter().any(|o| o.id == "trace");
    let mut ctx = Ctx {
        prog: prog.to_string(),
        matches,
        operands: parsed.operands,
        drives,
        mounts,
        keys,
        verbose,
        trace,
        machine,
    };
    // `--machine-readable` alone: the capability listing.
    if ctx.machine.is_some() && ctx.drives.is_empty() && ctx.operands.is_empty() {
        if let Some(m) = &ctx.machine {
            if let Ok(mut m) = m.lock() {
                let _ = m.line(spec.name);
                for f in spec.features {
                    let _ = m.line(f);
                }
            }
        }
        return 0;
    }
    (spec.run)(&mut ctx)
}

/// Getopt::Long's way with names (virt-win-reg): `-name` means `--name`, case does not matter,
/// and a unique beginning of a name stands for it (`-V`, `-h`, `--vers` are `--version` and
/// `--help`). Rewrites such words to the full `--name` for the getopt layer; a single-letter
/// option (`-c`, `-d`, `-?`) stays as it is, and so does the value of an option that takes one.
fn perl_long_options(cmd: &Command, args: Vec<String>) -> Vec<String> {
    let mut names: Vec<(&str, bool)> = Vec::new();
    for a in cmd.get_arguments() {
        let takes_value = matches!(a.get_action(), ArgAction::Set | ArgAction::Append);
        for long in a
            .get_long()
            .into_iter()
            .chain(a.get_all_aliases().unwrap_or_default())
        {
            names.push((long, takes_value));
        }
    }
    let short_takes_value = |c: char| {
        cmd.get_arguments()
            .find(|a| a.get_short() == Some(c))
            .map(|a| matches!(a.get_action(), ArgAction::Set | ArgAction::Append))
    };
    let mut out = Vec::with_capacity(args.len());
    let mut value_next = false;
    let mut operands_only = false;
    for arg in args {
        if value_next || operands_only || arg == "--" {
            operands_only |= !value_next && arg == "--";
            value_next = false;
            out.push(arg);
            continue;
        }
        let Some(word) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|w| !w.is_empty())
        else {
            out.push(arg);
            continue;
        };
        let (name, value) = match word.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (word, None),
        };
        let mut letters = name.chars();
        if let (Some(c), None, false) = (letters.next(), letters.next(), arg.starts_with("--")) {
            if let Some(takes_value) = short_takes_value(c) {
                value_next = takes_value;
                out.push(arg);
                continue;
            }
        }
        let lower = name.to_lowercase();
        let exact = names.iter().find(|(n, _)| *n == lower);
        let mut starting = names.iter().filter(|(n, _)| n.starts_with(&lower));
        let found = exact.or_else(|| match (starting.next(), starting.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        });
        match found {
            Some((full, takes_value)) => {
                value_next = *takes_value && value.is_none();
                out.push(match value {
                    Some(v) => format!("--{}={}", full, v),
                    None => format!("--{}", full),
                });
            }
            None => out.push(arg),
        }
    }
    out
}

fn describe(dest: &output::Destination) -> String {
    match dest {
        output::Destination::Stdout => "stdout".into(),
        output::Destination::Stderr => "stderr".into(),
        output::Destination::File(p) => p.clone(),
        output::Destination::Fd(n) => format!("fd {}", n),
    }
}

/// An I/O error as C's `strerror` words it (no Rust "(os error N)" suffix).
pub fn os_error(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => guestfs::error::strerror(errno),
        None => e.to_string(),
    }
}

/// Remote storage is given as a URI (`nbd://…`); only local files are checked for access.
fn is_uri(s: &str) -> bool {
    s.contains("://")
}

/// The old-style command line: with no `-a`/`-d`, the first `max` operands are the guest:
/// one that names a file (or contains a `/`) is a disk image, any other a libvirt guest.
/// Returns how many operands were taken.
pub fn old_style_drives(ctx: &mut Ctx, max: usize) -> usize {
    if !ctx.drives.is_empty() {
        return 0;
    }
    let taken = max.min(ctx.operands.len());
    for word in ctx.operands.drain(..taken) {
        ctx.drives.push(if is_image_operand(&word) {
            DriveArg::image(word)
        } else {
            DriveArg::domain(word)
        });
    }
    taken
}

/// 1.48's test for an old-style operand being a disk image rather than a guest name.
pub fn is_image_operand(word: &str) -> bool {
    word.contains('/') || std::path::Path::new(word).exists()
}

#[cfg(test)]
mod tests {
    use super::suggested_mount;

    #[test]
    fn btrfs_subvolumes_are_suggested_like_1_48() {
        assert_eq!(suggested_mount("/dev/sda1"), "/dev/sda1");
        assert_eq!(
            suggested_mount("btrfsvol:/dev/sda/root/nested"),
            "/dev/sdb:/:subvol=root/nested"
        );
        assert_eq!(
            suggested_mount("btrfsvol:/dev/sdb2/home"),
            "/dev/sdc2:/:subvol=home"
        );
        assert_eq!(
            suggested_mount("btrfsvol:/dev/sdz/x"),
            "/dev/sdaa:/:subvol=x"
        );
    }
}

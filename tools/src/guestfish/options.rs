//! guestfish's command line, acted on option by option in command-line order as 1.48's getopt
//! loop does (so `-V`, `-h`, `-N help` and errors take effect where they appear, and `-N`
//! files are created as their option is read).

use super::prep::Prepared;
use super::session::{error, stderr_line, Exit, Fish};
use super::uri::{self, Uri};
use super::{help, prep};
use crate::common::c_numbers::scan_i32;
use crate::common::getopt::{self, Occurrence};
use crate::common::{fish as fish_options, KeySelector, MountSpec};

/// A drive to add, in command-line order.
pub enum Drive {
    /// `-a FILE`, with the `--format` and `--blocksize` in force.
    File {
        path: String,
        format: Option<String>,
        blocksize: Option<i32>,
    },
    /// `-a URI`.
    Uri {
        uri: Uri,
        format: Option<String>,
        blocksize: Option<i32>,
    },
    /// `-d GUEST`.
    Domain(String),
    /// `-N`.
    Prepared(Prepared),
}

/// What the command line asks for besides the session settings.
#[derive(Default)]
pub struct Startup {
    pub drives: Vec<Drive>,
    pub mounts: Vec<MountSpec>,
    pub keys: Vec<KeySelector>,
    pub file: Option<String>,
    pub inspector: bool,
    pub listen: bool,
    pub csh: bool,
    pub libvirt_uri: Option<String>,
    /// `--progress-bars` / `--no-progress-bars`.
    pub progress_bars: Option<bool>,
    /// The words after the options: commands.
    pub words: Vec<String>,
}

/// The options as `--help` lists them: the option id, how it is written, what it does
/// (`{prog}` is the program's name). The manual's option list uses the same texts.
const HELP: &[(&str, &str, &str)] = &[
    ("cmd-help", "-h|--cmd-help", "List available commands"),
    (
        "cmd-help",
        "-h|--cmd-help cmd",
        "Display detailed help on ‘cmd’",
    ),
    ("add", "-a|--add image", "Add image"),
    (
        "blocksize",
        "--blocksize[=512|4096]",
        "Set sector size of the disk for -a option",
    ),
    (
        "connect",
        "-c|--connect uri",
        "Specify libvirt URI for -d option",
    ),
    ("csh", "--csh", "Make --listen csh-compatible"),
    (
        "domain",
        "-d|--domain guest",
        "Add disks from libvirt guest",
    ),
    (
        "echo-keys",
        "--echo-keys",
        "Don’t turn off echo for passphrases",
    ),
    ("file", "-f|--file file", "Read commands from file"),
    (
        "format",
        "--format[=raw|..]",
        "Force disk format for -a option",
    ),
    ("help", "--help", "Display brief help"),
    (
        "inspector",
        "-i|--inspector",
        "Automatically mount filesystems",
    ),
    ("key", "--key selector", "Specify a LUKS key"),
    (
        "keys-from-stdin",
        "--keys-from-stdin",
        "Read passphrases from stdin",
    ),
    ("listen", "--listen", "Listen for remote commands"),
    (
        "mount",
        "-m|--mount dev[:mnt[:opts[:fstype]]]",
        "Mount dev on mnt (if omitted, /)",
    ),
    ("network", "--network", "Enable network"),
    (
        "new",
        "-N|--new [filename=]type",
        "Create prepared disk (test<N>.img or filename)",
    ),
    ("no-sync", "-n|--no-sync", "Don’t autosync"),
    (
        "no-dest-paths",
        "--no-dest-paths",
        "Don’t tab-complete paths from guest fs",
    ),
    (
        "pipe-error",
        "--pipe-error",
        "Pipe commands can detect write errors",
    ),
    (
        "progress-bars",
        "--progress-bars",
        "Enable progress bars even when not interactive",
    ),
    (
        "no-progress-bars",
        "--no-progress-bars",
        "Disable progress bars",
    ),
    ("remote", "--remote[=pid]", "Send commands to remote {prog}"),
    ("ro", "-r|--ro", "Mount read-only"),
    (
        "selinux",
        "--selinux",
        "For backwards compat only, does nothing",
    ),
    ("verbose", "-v|--verbose", "Verbose messages"),
    ("version", "-V|--version", "Display version and exit"),
    ("rw", "-w|--rw", "Mount read-write"),
    ("trace", "-x", "Echo each command before executing it"),
];

/// What the manual says about the options `--help` does not list.
const UNLISTED: &[(&str, &str)] = &[
    ("D", "Deprecated spelling of --no-dest-paths"),
    ("live", "Removed in libguestfs 1.48: an error"),
];

/// The value an option's `--help` spelling shows: `image` in `-a|--add image`, `pid` in
/// `--remote[=pid]`.
fn value_name(shown: &str) -> Option<&str> {
    if let Some((_, v)) = shown.split_once("[=") {
        return v.strip_suffix(']');
    }
    shown.split_once(' ').map(|(_, v)| v)
}

/// guestfish's options with their help texts and value names, for the manual.
pub fn described_command() -> clap::Command {
    let mut cmd = fish_options::shell_command("guestfish");
    for (i, (id, _, help)) in HELP.iter().enumerate() {
        if HELP[..i].iter().any(|(earlier, _, _)| earlier == id) {
            continue;
        }
        let help = help.replace("{prog}", "guestfish");
        let value = HELP
            .iter()
            .filter(|(other, _, _)| other == id)
            .find_map(|(_, shown, _)| value_name(shown));
        cmd = cmd.mut_arg(*id, |a| {
            let a = a.help(help);
            match value {
                Some(v) => a.value_name(v),
                None => a,
            }
        });
    }
    for (id, help) in UNLISTED {
        cmd = cmd.mut_arg(*id, |a| a.help(*help));
    }
    cmd
}

/// `--help`.
pub fn usage(prog: &str) -> String {
    let mut s = format!(
        "{p}: guest filesystem shell\n\
         {p} lets you edit virtual machine filesystems\n\
         Copyright (C) 2009-2020 Red Hat Inc.\n\
         Usage:\n\
         \x20 {p} [--options] cmd [: cmd : cmd ...]\n\
         Options:\n",
        p = prog
    );
    for (_, shown, help) in HELP {
        let help = help.replace("{prog}", prog);
        if shown.chars().count() <= 20 {
            s.push_str(&format!("  {:<20} {}\n", shown, help));
        } else {
            s.push_str(&format!("  {}\n{:23}{}\n", shown, "", help));
        }
    }
    s.push_str(&format!(
        "\n\
         To examine a disk image, ISO, hard disk, filesystem etc:\n\
         \x20 {p} [--ro|--rw] -i -a /path/to/disk.img\n\
         or\n\
         \x20 {p} [--ro|--rw] -i -d name-of-libvirt-domain\n\
         \n\
         ‘--ro’ is recommended to avoid any writes to the disk image.\n\
         \n\
         If ‘-i’ option fails run again without ‘-i’ and use ‘run’ +\n\
         ‘list-filesystems’ + ‘mount’ cmds.\n\
         \n\
         For more information, see the manpage {p}(1).\n",
        p = prog
    ));
    s
}

/// The words of the command line read with getopt's rules, stopping at the first error.
pub fn scan(args: &[String]) -> (Vec<Occurrence>, Vec<String>, Option<String>) {
    let cmd = fish_options::shell_command("guestfish");
    let (parsed, err) = getopt::getopt_partial(&cmd, &fish_options::TABLES, args);
    (parsed.options, parsed.operands, err.map(|e| e.0))
}

/// 1.48's `--key` selector rules: `ID:key:KEY`, `ID:file:FILE` or `ID:clevis`.
fn key_selector(selector: &str) -> Result<KeySelector, String> {
    let fields: Vec<&str> = if selector.is_empty() {
        Vec::new()
    } else {
        selector.split(':').collect()
    };
    let bad = |what: &str| Err(format!("selector '{}': {}", selector, what));
    match fields.as_slice() {
        [] => bad("missing ID"),
        [_] => bad("missing TYPE"),
        [id, "key", key] => Ok(KeySelector::Key {
            id: id.to_string(),
            key: key.to_string(),
        }),
        [_, "key", ..] => bad("missing KEY_STRING, or too many fields"),
        [id, "file", file] => Ok(KeySelector::File {
            id: id.to_string(),
            file: file.to_string(),
        }),
        [_, "file", ..] => bad("missing FILENAME, or too many fields"),
        [_, "clevis"] => bad("Clevis/Tang network-bound keys are not supported by virt-tools"),
        [_, "clevis", ..] => bad("too many fields"),
        _ => bad("invalid TYPE"),
    }
}

/// Acts on the options in order. Returns what to do next, or the exit status when an option
/// ends guestfish (`-V`, `-h`, `--help`, errors).
pub fn apply(
    fish: &mut Fish,
    prog: &str,
    args: &[String],
    options: &[Occurrence],
    operands: Vec<String>,
    scan_error: Option<String>,
) -> Result<Startup, Exit> {
    let mut s = Startup::default();
    let mut format: Option<String> = None;
    let mut format_consumed = true;
    let mut blocksize: Option<i32> = None;
    let mut blocksize_consumed = true;
    let mut next_prepared = 1;
    let fail = |msg: &str| -> Exit {
        error(msg);
        1
    };
    for o in options {
        let value = o.value.clone().unwrap_or_default();
        match o.id.as_str() {
            "long-options" => print_and_exit(&getopt::long_options_listing(&fish_options::TABLES))?,
            "short-options" => {
                print_and_exit(&getopt::short_options_listing(&fish_options::TABLES))?
            }
            "listen" => s.listen = true,
            "remote" => {
                let pid = match &o.value {
                    Some(v) => scan_i32(v).ok_or_else(|| {
                        fail(&format!("--listen=PID: PID was not a number: {}", v))
                    })?,
                    None => std::env::var("GUESTFISH_PID")
                        .ok()
                        .and_then(|p| scan_i32(&p))
                        .ok_or_else(|| {
                            fail("remote: $GUESTFISH_PID must be set to the PID of the remote process")
                        })?,
                };
                fish.settings.remote_pid = Some(pid);
            }
            "selinux" => {}
            "keys-from-stdin" => fish.settings.keys_from_stdin = true,
            "progress-bars" => s.progress_bars = Some(true),
            "no-progress-bars" => s.progress_bars = Some(false),
            "echo-keys" => fish.settings.echo_keys = true,
            "format" => {
                format = o.value.clone().filter(|f| !f.is_empty());
                format_consumed = false;
            }
            "blocksize" => {
                blocksize = match o.value.as_deref() {
                    None | Some("") => None,
                    Some(v) => {
                        Some(scan_i32(v).ok_or_else(|| fail("--blocksize option is not numeric"))?)
                    }
                };
                blocksize_consumed = false;
            }
            "csh" => s.csh = true,
            "live" => {
                return Err(fail(
                    "libguestfs live support was removed in libguestfs 1.48",
                ))
            }
            "pipe-error" => fish.settings.pipe_error = true,
            "network" => {
                if fish.g.set_network(true).is_err() {
                    return Err(1);
                }
            }
            "no-dest-paths" => fish.settings.complete_dest_paths = false,
            "D" => {
                stderr_line(&format!(
                    "{}: warning: -D option is deprecated, use --no-dest-paths instead",
                    prog
                ));
                fish.settings.complete_dest_paths = false;
            }
            "key" => s.keys.push(key_selector(&value).map_err(|m| fail(&m))?),
            "add" => {
                s.drives.push(drive_a(&value, format.clone(), blocksize)?);
                format_consumed = true;
                blocksize_consumed = true;
            }
            "connect" => s.libvirt_uri = Some(value),
            "domain" => s.drives.push(Drive::Domain(value)),
            "file" => {
                if s.file.is_some() {
                    return Err(fail("only one -f parameter can be given"));
                }
                s.file = Some(value);
            }
            "cmd-help" => {
                let word = match &o.value {
                    Some(v) => Some(v.clone()),
                    None => args.get(o.next).filter(|w| !w.starts_with('-')).cloned(),
                };
                return Err(match word {
                    Some(cmd) => match help::display_command(&cmd, false) {
                        Ok(()) => 0,
                        Err(_) => 1,
                    },
                    None => match super::session::write_stdout(help::list_commands().as_bytes()) {
                        Ok(()) => 0,
                        Err(_) => 1,
                    },
                });
            }
            "inspector" => s.inspector = true,
            "mount" => s.mounts.push(MountSpec::parse(&value)),
            "no-sync" => {
                let _ = fish.g.set_autosync(false);
            }
            "new" => {
                if ["list", "help", "h", "?"]
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(&value))
                {
                    print_and_exit(&prep::list())?;
                }
                let (filename, type_string) = match value.split_once('=') {
                    Some((f, t)) => (f.to_string(), t.to_string()),
                    None => (format!("test{}.img", next_prepared), value.clone()),
                };
                let p = Prepared::parse(&type_string, &filename)?;
                p.create_file(fish)?;
                s.drives.push(Drive::Prepared(p));
                next_prepared += 1;
            }
            "ro" => fish.settings.read_only = true,
            "verbose" => {
                fish.settings.verbose += 1;
                let _ = fish.g.set_verbose(true);
            }
            "version" => {
                print_and_exit(&format!("{} {}\n", prog, crate::common::LIBGUESTFS_VERSION))?
            }
            "rw" => {
                if fish.settings.read_only {
                    stderr_line(&format!("{}: cannot mix --ro and --rw options", prog));
                    return Err(1);
                }
            }
            "trace" => {
                let _ = fish.g.set_trace(true);
            }
            "help" => print_and_exit(&usage(prog))?,
            other => return Err(fail(&format!("unknown long option: {}", other))),
        }
    }
    if let Some(e) = scan_error {
        stderr_line(&format!("{}: {}", prog, e));
        stderr_line(&format!("Try ‘{} --help’ for more information.", prog));
        return Err(1);
    }
    s.words = operands;
    // Old-style `guestfish -i IMAGE|GUEST`: every word is a disk image or a libvirt guest.
    if s.inspector && s.drives.is_empty() && !s.words.is_empty() {
        for w in std::mem::take(&mut s.words) {
            if w.contains('/') || std::path::Path::new(&w).exists() {
                s.drives.push(Drive::File {
                    path: w,
                    format: None,
                    blocksize: None,
                });
            } else {
                s.drives.push(Drive::Domain(w));
            }
        }
    }
    if !format_consumed {
        stderr_line(&format!(
            "{}: --format parameter must appear before -a parameter",
            prog
        ));
        return Err(1);
    }
    if !blocksize_consumed {
        stderr_line(&format!(
            "{}: --blocksize parameter must appear before -a parameter",
            prog
        ));
        return Err(1);
    }
    Ok(s)
}

/// Prints `text` on stdout and ends guestfish with status 0.
fn print_and_exit(text: &str) -> Result<(), Exit> {
    Err(match super::session::write_stdout(text.as_bytes()) {
        Ok(()) => 0,
        Err(_) => 1,
    })
}

/// `-a`: a URI, or a local file that must be readable.
fn drive_a(arg: &str, format: Option<String>, blocksize: Option<i32>) -> Result<Drive, Exit> {
    if uri::looks_like_uri(arg) {
        let uri = uri::parse(arg).map_err(|m| {
            error(&m);
            1
        })?;
        if uri.protocol != "file" {
            return Ok(Drive::Uri {
                uri,
                format,
                blocksize,
            });
        }
    }
    let c = std::ffi::CString::new(arg).map_err(|_| {
        error(&format!("access: {}: Invalid argument", arg));
        1
    })?;
    // SAFETY: access() reads a valid NUL-terminated path.
    if unsafe { libc::access(c.as_ptr(), libc::R_OK) } != 0 {
        let e = std::io::Error::last_os_error();
        error(&format!(
            "access: {}: {}",
            arg,
            guestfs::error::strerror(e.raw_os_error().unwrap_or(libc::EIO))
        ));
        return Err(1);
    }
    Ok(Drive::File {
        path: arg.to_string(),
        format,
        blocksize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sscanf_int() {
        assert_eq!(scan_i32("123"), Some(123));
        assert_eq!(scan_i32(" -7x"), Some(-7));
        assert_eq!(scan_i32("x1"), None);
        assert_eq!(scan_i32(""), None);
        assert_eq!(scan_i32("+"), None);
    }

    #[test]
    fn key_selectors_like_1_48() {
        assert!(matches!(
            key_selector("/dev/sda2:key:pw"),
            Ok(KeySelector::Key { .. })
        ));
        assert!(matches!(
            key_selector("all:file:/k"),
            Ok(KeySelector::File { .. })
        ));
        assert_eq!(key_selector("").unwrap_err(), "selector '': missing ID");
        assert_eq!(key_selector("x").unwrap_err(), "selector 'x': missing TYPE");
        assert_eq!(
            key_selector("x:key:a:b").unwrap_err(),
            "selector 'x:key:a:b': missing KEY_STRING, or too many fields"
        );
        assert_eq!(
            key_selector("x:bogus").unwrap_err(),
            "selector 'x:bogus': invalid TYPE"
        );
    }

    #[test]
    fn usage_text() {
        let u = usage("guestfish");
        assert!(u.starts_with("guestfish: guest filesystem shell\n"));
        assert!(u.contains("\n  --remote[=pid]       Send commands to remote guestfish\n"));
        assert!(u.ends_with("For more information, see the manpage guestfish(1).\n"));
    }
}

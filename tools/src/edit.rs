//! virt-edit: edit a file in a virtual machine, with `$EDITOR` or non-interactively with a
//! Perl-style expression (`-e`, see [`crate::common::perl_expr`]).

use crate::common::output::Record;
use crate::common::perl_expr::Expr;
use crate::common::{args, getopt::GetoptTables, write, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use crate::guestfish::tempfile::{self, TempPath};
use clap::{Arg, ArgAction, Command};
use guestfs::protocol::lossless;
use guestfs::Handle;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-edit",
    description: "Edit a file in a virtual machine",
    copyright: "Copyright (C) 2009-2020 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname file [file ...]",
        "{prog} [--options] -a disk.img [-a disk.img ...] file [file ...]",
    ],
    tables: GetoptTables {
        short: "a:b:c:d:e:m:vVx",
        long: &[
            "add",
            "backup",
            "blocksize",
            "connect",
            "domain",
            "echo-keys",
            "edit",
            "expr",
            "format",
            "help",
            "key",
            "keys-from-stdin",
            "long-options",
            "mount",
            "short-options",
            "verbose",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-edit-records", "perl-expr:s///,y///"],
    perl_style: false,
    help_text: Some(HELP),
    man: include_str!("../../man/src/virt-edit.txt"),
    command,
    run,
};

/// 1.48's hand-written `--help`.
const HELP: &str = "{prog}: Edit a file in a virtual machine
Copyright (C) 2009-2020 Red Hat Inc.
Usage:
  {prog} [--options] -d domname file [file ...]
  {prog} [--options] -a disk.img [-a disk.img ...] file [file ...]
Options:
  -a|--add image        Add image
  -b|--backup .ext      Backup original as original.ext
  --blocksize[=512|4096]
                       Set sector size of the disk for -a option
  -c|--connect uri      Specify libvirt URI for -d option
  -d|--domain guest     Add disks from libvirt guest
  --echo-keys           Don't turn off echo for passphrases
  -e|--edit|--expr expr Non-interactive editing using Perl expr
  --format[=raw|..]     Force disk format for -a option
  --help                Display brief help
  --key selector       Specify a LUKS key
  --keys-from-stdin     Read passphrases from stdin
  -m|--mount dev[:mnt[:opts[:fstype]]]
                        Mount dev on mnt (if omitted, /)
  -v|--verbose          Verbose messages
  -V|--version          Display version and exit
  -x                    Trace libguestfs API calls
  --machine-readable[=format]
                        Make output machine readable
For more information, see the manpage {prog}(1).
";

fn command() -> Command {
    Command::new("virt-edit")
        .about(SPEC.description)
        .arg(args::add())
        .arg(
            Arg::new("backup")
                .short('b')
                .long("backup")
                .action(ArgAction::Append)
                .value_name(".ext")
                .help("Backup original as original.ext"),
        )
        .arg(args::blocksize())
        .arg(args::connect())
        .arg(args::domain())
        .arg(args::echo_keys())
        .arg(
            Arg::new("expr")
                .short('e')
                .long("edit")
                .alias("expr")
                .action(ArgAction::Append)
                .value_name("expr")
                .help("Non-interactive editing using Perl expr"),
        )
        .args(args::format_help_keys())
        .arg(args::mount())
        .args(args::trailing())
        .arg(args::inspector())
        .arg(Arg::new("files").num_args(0..).value_name("file"))
        .args(args::added())
}

/// How the new contents of a file are made.
enum Editing {
    Editor(String),
    Expression(Expr),
}

fn run(ctx: &mut Ctx) -> i32 {
    // The old-style command line has the guest first and one file.
    crate::common::old_style_drives(ctx, ctx.operands.len().saturating_sub(1));
    if ctx.operands.is_empty() {
        return ctx.try_help();
    }
    for (id, letter) in [("backup", 'b'), ("expr", 'e')] {
        if ctx.values(id).len() > 1 {
            return ctx.fail(&format!("-{} option given multiple times", letter));
        }
    }
    let editing = match ctx.value("expr") {
        Some(text) => match Expr::parse(&text) {
            Ok(expr) => Editing::Expression(expr),
            Err(why) => {
                return ctx.error(&format!(
                    "-e ‘{}’: {}; virt-edit runs only s/PATTERN/REPLACEMENT/[gimsx] and y/SEARCH/REPLACE/",
                    text, why
                ))
            }
        },
        None => Editing::Editor(std::env::var("EDITOR").unwrap_or_else(|_| "vi".to_string())),
    };
    let backup = ctx.value("backup");
    if let Err(code) = ctx.require_drives() {
        return code;
    }
    let mut g = match ctx.launch(false) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let windows = match ctx.mount_guest(&mut g, true) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let mut writable = false;
    for file in ctx.operands.clone() {
        let path = match windows
            .as_ref()
            .map(|w| w.rewrite_path(ctx, &mut g, &file, !writable))
        {
            Some(Ok(p)) => p,
            Some(Err(code)) => return code,
            None => file.clone(),
        };
        // Where 1.48 downloads it: `$TMPDIR/libguestfsXXXXXX`.
        let tmpdir = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".to_string());
        let local = match tempfile::create(&tmpdir, "libguestfs") {
            Ok((_, path)) => TempPath(path),
            Err(e) => return ctx.fail(&format!("mkstemp: {}", crate::common::os_error(&e))),
        };
        if g.download(&path, &lossless::string_of_os(local.0.as_os_str()))
            .is_err()
        {
            return 1;
        }
        let changed = match &editing {
            Editing::Editor(editor) => match run_editor(ctx, editor, &local.0) {
                Ok(changed) => changed,
                Err(code) => return code,
            },
            Editing::Expression(expr) => {
                let edited = std::fs::read(&local.0)
                    .map(|old| expr.edit(&old))
                    .and_then(|new| std::fs::write(&local.0, new));
                if let Err(e) = edited {
                    return ctx.fail(&format!(
                        "{}: {}",
                        local.0.display(),
                        crate::common::os_error(&e)
                    ));
                }
                // 1.48 writes the file back whatever the expression did.
                true
            }
        };
        if !changed {
            if !ctx.machine_on_stdout() {
                println!("File not changed.");
            }
            ctx.record(Record::new("unchanged").field("path", file.as_str()));
            continue;
        }
        if !writable {
            if write::remount_read_write(&mut g).is_err() {
                return 1;
            }
            writable = true;
        }
        if replace(&mut g, &path, &local.0, backup.as_deref()).is_err() {
            return 1;
        }
        let mut record = Record::new("edited").field("path", file.as_str());
        if let Some(ext) = &backup {
            record = record.field("backup", format!("{}{}", path, ext));
        }
        ctx.record(record);
    }
    match write::finish(g) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// Runs `EDITOR FILE` through the shell as 1.48 does; true when the file changed (its
/// inode change time or size). The file's times are first set back 5 s, so that a quick
/// edit is not missed within the timestamps' resolution.
fn run_editor(ctx: &Ctx, editor: &str, file: &Path) -> Result<bool, i32> {
    let stat = |f: &Path| {
        std::fs::metadata(f)
            .map_err(|e| ctx.fail(&format!("{}: {}", f.display(), crate::common::os_error(&e))))
    };
    let before = stat(file)?;
    let back = |t: std::io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.checked_sub(std::time::Duration::from_secs(5)))
            .unwrap_or(std::time::UNIX_EPOCH)
    };
    let times = std::fs::FileTimes::new()
        .set_accessed(back(before.accessed()))
        .set_modified(back(before.modified()));
    let set = std::fs::File::options()
        .write(true)
        .open(file)
        .and_then(|f| f.set_times(times));
    if let Err(e) = set {
        return Err(ctx.fail(&format!("utimes: {}", crate::common::os_error(&e))));
    }
    let before = stat(file)?;
    let cmd = format!("{} {}", editor, file.display());
    if ctx.verbose {
        eprintln!("{}", cmd);
    }
    let status = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(&cmd)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            return Err(ctx.fail(&format!(
                "{}: the editor failed ({})",
                cmd,
                s.code()
                    .map_or_else(|| "killed".to_string(), |c| format!("exit status {}", c))
            )))
        }
        Err(e) => {
            return Err(ctx.fail(&format!("{}: {}", cmd, crate::common::os_error(&e))));
        }
    }
    let after = stat(file)?;
    Ok(!(before.ctime() == after.ctime()
        && before.ctime_nsec() == after.ctime_nsec()
        && before.size() == after.size()))
}

/// Puts the new contents in place as 1.48 does: uploaded under a random name in the same
/// directory (a failed upload leaves the file whole), given the old file's mode, owner,
/// extended attributes and SELinux label, then renamed over it (the old one renamed to the
/// backup name first with `-b`). A symbolic link is followed: its target is replaced.
fn replace(g: &mut Handle, path: &str, local: &Path, backup: Option<&str>) -> guestfs::Result<()> {
    let target = g.realpath(path)?;
    let dir_end = target.rfind('/').map_or(0, |i| i + 1);
    let newname = format!("{}{}", &target[..dir_end], random_name());
    g.upload(&lossless::string_of_os(local.as_os_str()), &newname)?;
    let all = guestfs::CopyAttributesOpts {
        all: Some(true),
        ..Default::default()
    };
    g.copy_attributes(&target, &newname, all)?;
    if let Some(ext) = backup {
        g.mv(&target, &format!("{}{}", target, ext))?;
    }
    g.mv(&newname, &target)
}

/// Eight random lower-case letters and digits, like libguestfs's `random_string`.
fn random_name() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 8];
    // SAFETY: getrandom writes at most bytes.len() bytes into the buffer.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if n != bytes.len() as isize {
        // Without randomness, the time and pid still make a name nothing else uses.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ ((std::process::id() as u64) << 32);
        bytes = seed.to_le_bytes();
    }
    bytes
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_names_are_eight_letters_or_digits() {
        let a = random_name();
        assert_eq!(a.len(), 8);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(a, random_name());
    }
}

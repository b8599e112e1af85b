//! The options the tools share, declared once as clap arguments with 1.48's names, help
//! lines and argument kinds.

use clap::{Arg, ArgAction};

/// An option without an argument.
pub fn flag(id: &'static str) -> Arg {
    Arg::new(id).action(ArgAction::SetTrue)
}

/// An option with an argument, given any number of times.
pub fn value(id: &'static str, name: &'static str) -> Arg {
    Arg::new(id).action(ArgAction::Append).value_name(name)
}

/// An option whose argument is optional and must be attached with `=`.
fn optional_value(id: &'static str, name: &'static str) -> Arg {
    Arg::new(id)
        .action(ArgAction::Append)
        .value_name(name)
        .num_args(0..=1)
        .require_equals(true)
        .default_missing_value("")
}

pub fn add() -> Arg {
    value("add", "image")
        .short('a')
        .long("add")
        .help("Add image")
}
pub fn blocksize() -> Arg {
    optional_value("blocksize", "512|4096")
        .long("blocksize")
        .help("Set sector size of the disk for -a option")
}
pub fn connect() -> Arg {
    value("connect", "uri")
        .short('c')
        .long("connect")
        .help("Specify libvirt URI for -d option")
}
pub fn domain() -> Arg {
    value("domain", "guest")
        .short('d')
        .long("domain")
        .help("Add disks from libvirt guest")
}
pub fn echo_keys() -> Arg {
    flag("echo-keys")
        .long("echo-keys")
        .help("Don't turn off echo for passphrases")
}
pub fn format() -> Arg {
    optional_value("format", "raw|..")
        .long("format")
        .help("Force disk format for -a option")
}
pub fn help() -> Arg {
    flag("help").long("help").help("Display brief help")
}
pub fn key() -> Arg {
    value("key", "selector")
        .long("key")
        .help("Specify a LUKS key")
}
pub fn keys_from_stdin() -> Arg {
    flag("keys-from-stdin")
        .long("keys-from-stdin")
        .help("Read passphrases from stdin")
}
pub fn mount() -> Arg {
    value("mount", "dev[:mnt[:opts[:fstype]]]")
        .short('m')
        .long("mount")
        .help("Mount dev on mnt (if omitted, /)")
}
pub fn verbose() -> Arg {
    Arg::new("verbose")
        .short('v')
        .long("verbose")
        .action(ArgAction::Count)
        .help("Verbose messages")
}
pub fn version() -> Arg {
    flag("version")
        .short('V')
        .long("version")
        .help("Display version and exit")
}
pub fn trace() -> Arg {
    flag("trace").short('x').help("Trace libguestfs API calls")
}
pub fn csv(help: &'static str) -> Arg {
    flag("csv").long("csv").help(help)
}
pub fn human_readable(help: &'static str) -> Arg {
    flag("human-readable")
        .short('h')
        .long("human-readable")
        .help(help)
}

/// The options every tool has beyond its 1.48 help: the bash-completion listings (hidden, as
/// 1.48 hides them) and this project's `--machine-readable` (shown in `--help`).
pub fn added() -> Vec<Arg> {
    vec![
        flag("long-options").long("long-options").hide(true),
        flag("short-options").long("short-options").hide(true),
        optional_value("machine-readable", "format")
            .long("machine-readable")
            .help("Make output machine readable"),
    ]
}

/// `-i/--inspector`, hidden so that `--short-options` stays 1.48's (only where `-i` is free).
pub fn inspector() -> Arg {
    flag("inspector")
        .short('i')
        .long("inspector")
        .hide(true)
        .help("Inspect the disks and mount the guest's filesystems")
}

/// `-a`, `--blocksize`, `-c`, `-d`, `--echo-keys`: how most tools' option lists begin.
pub fn leading() -> Vec<Arg> {
    vec![add(), blocksize(), connect(), domain(), echo_keys()]
}

/// `--format`, `--help`, `--key`, `--keys-from-stdin`.
pub fn format_help_keys() -> Vec<Arg> {
    vec![format(), help(), key(), keys_from_stdin()]
}

/// `-v`, `-V`, `-x`: how every tool's option list ends.
pub fn trailing() -> Vec<Arg> {
    vec![verbose(), version(), trace()]
}

/// `--checksum[=TYPE]` (alias `--checksums`), md5 when no type is given.
pub fn checksum(help: &'static str) -> Arg {
    Arg::new("checksum")
        .long("checksum")
        .alias("checksums")
        .action(ArgAction::Append)
        .num_args(0..=1)
        .require_equals(true)
        .default_missing_value("md5")
        .value_name("...")
        .help(help)
}

/// `--extra-stats` (alias `--extra-stat`).
pub fn extra_stats() -> Arg {
    flag("extra-stats")
        .long("extra-stats")
        .alias("extra-stat")
        .help("Display extra stats")
}

/// `--times`, `--time-days`, `--time-relative`, `--time-t`, `--uids` of virt-ls and virt-diff.
pub fn times_and_uids() -> Vec<Arg> {
    vec![
        flag("times")
            .long("times")
            .alias("time")
            .help("Display file times"),
        flag("time-days")
            .long("time-days")
            .help("Display file times as days before now"),
        flag("time-relative")
            .long("time-relative")
            .help("Display file times as seconds before now"),
        flag("time-t")
            .long("time-t")
            .help("Display file times as time_t's"),
        flag("uids")
            .long("uids")
            .alias("uid")
            .help("Display UID, GID"),
    ]
}

//! The command line as the C tools' GNU `getopt_long` reads it, in front of clap.
//!
//! libguestfs's tools accept any unambiguous prefix of a long option, permute options and
//! operands, take optional arguments only when attached with `=`, and word their errors in
//! glibc's way. Each tool declares its options once as a clap [`Command`]; this module reads
//! the argument list with glibc's rules against that declaration (plus the tool's getopt tables,
//! which fix the order 1.48 lists and matches long names in), reports errors exactly as 1.48
//! does, and hands clap a normalised argument list to parse.

use clap::{ArgAction, Command};

/// The getopt tables of a tool, as 1.48 declares them.
pub struct GetoptTables {
    /// The short-option string (`a:c:d:m:vVx`).
    pub short: &'static str,
    /// Long option names in the order of 1.48's `long_options` table.
    pub long: &'static [&'static str],
}

/// How an option takes its argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HasArg {
    No,
    Required,
    Optional,
}

/// glibc's notion of "the same option" when resolving an ambiguous prefix: options with the
/// same argument kind and the same `val` are interchangeable and the first one wins.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Short(char),
    Help,
    LongOnly,
}

struct LongOpt<'a> {
    name: &'a str,
    /// The clap id of the argument it belongs to.
    id: String,
    has_arg: HasArg,
    val: Val,
}

/// A usage error, already worded as 1.48 words it (without the program name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

fn has_arg_of(arg: &clap::Arg) -> HasArg {
    match arg.get_action() {
        ArgAction::Set | ArgAction::Append => {
            let optional = arg.get_num_args().is_some_and(|r| r.min_values() == 0);
            if optional {
                HasArg::Optional
            } else {
                HasArg::Required
            }
        }
        _ => HasArg::No,
    }
}

fn long_table<'a>(cmd: &'a Command, tables: &GetoptTables) -> Vec<LongOpt<'a>> {
    let mut out = Vec::new();
    for &name in tables.long {
        let arg = cmd.get_arguments().find(|a| {
            a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
        });
        if let Some(arg) = arg {
            let val = if name == "help" {
                Val::Help
            } else if let Some(c) = arg.get_short() {
                Val::Short(c)
            } else {
                Val::LongOnly
            };
            out.push(LongOpt {
                name,
                id: arg.get_id().to_string(),
                has_arg: has_arg_of(arg),
                val,
            });
        }
    }
    // Options this project adds to every tool (`--machine-readable`…) are matched too, after
    // 1.48's own, but never listed by `--long-options`.
    for arg in cmd.get_arguments() {
        for name in arg
            .get_long()
            .into_iter()
            .chain(arg.get_all_aliases().unwrap_or_default())
        {
            if !tables.long.contains(&name) {
                let val = match arg.get_short() {
                    Some(c) => Val::Short(c),
                    None => Val::LongOnly,
                };
                out.push(LongOpt {
                    name,
                    id: arg.get_id().to_string(),
                    has_arg: has_arg_of(arg),
                    val,
                });
            }
        }
    }
    out
}

fn short_has_arg(short: &str, c: char) -> Option<HasArg> {
    let chars: Vec<char> = short.chars().collect();
    let i = chars.iter().position(|&x| x == c && x != ':')?;
    let colons = chars[i + 1..].iter().take_while(|&&x| x == ':').count();
    Some(match colons {
        0 => HasArg::No,
        1 => HasArg::Required,
        _ => HasArg::Optional,
    })
}

/// The clap argument a short letter belongs to.
fn short_id(cmd: &Command, c: char) -> Option<String> {
    cmd.get_arguments()
        .find(|a| a.get_short() == Some(c))
        .map(|a| a.get_id().to_string())
}

/// One recognised option occurrence, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub id: String,
    pub value: Option<String>,
    /// The index in the argument list of the first word after this option (what C's
    /// `argv[optind]` is when the option is returned: guestfish's `-h CMD` reads it).
    pub next: usize,
}

/// The command line, read with getopt_long's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub options: Vec<Occurrence>,
    pub operands: Vec<String>,
}

/// Reads `args` (without the program name).
pub fn getopt(cmd: &Command, tables: &GetoptTables, args: &[String]) -> Result<Parsed, UsageError> {
    match getopt_partial(cmd, tables, args) {
        (parsed, None) => Ok(parsed),
        (_, Some(e)) => Err(e),
    }
}

/// Reads `args` up to the first error: the options before it (for programs that act on each
/// option as getopt returns it, like guestfish) and the error.
pub fn getopt_partial(
    cmd: &Command,
    tables: &GetoptTables,
    args: &[String],
) -> (Parsed, Option<UsageError>) {
    let mut options = Vec::new();
    let mut operands = Vec::new();
    let error = scan(cmd, tables, args, &mut options, &mut operands).err();
    (Parsed { options, operands }, error)
}

fn scan(
    cmd: &Command,
    tables: &GetoptTables,
    args: &[String],
    options: &mut Vec<Occurrence>,
    operands: &mut Vec<String>,
) -> Result<(), UsageError> {
    let longs = long_table(cmd, tables);
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, attached) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let opt = resolve_long(&longs, name, arg)?;
            let value = match opt.has_arg {
                HasArg::No => {
                    if attached.is_some() {
                        return Err(UsageError(format!(
                            "option '--{}' doesn't allow an argument",
                            opt.name
                        )));
                    }
                    None
                }
                HasArg::Optional => attached,
                HasArg::Required => match attached {
                    Some(v) => Some(v),
                    None if i < args.len() => {
                        i += 1;
                        Some(args[i - 1].clone())
                    }
                    None => {
                        return Err(UsageError(format!(
                            "option '--{}' requires an argument",
                            opt.name
                        )))
                    }
                },
            };
            options.push(Occurrence {
                id: opt.id.clone(),
                value,
                next: i,
            });
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            let chars: Vec<char> = arg.chars().skip(1).collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                j += 1;
                // Letters 1.48 has come from its short-option string; letters this project adds
                // (hidden from `--short-options`) from the clap declaration.
                let has = match short_has_arg(tables.short, c).or_else(|| {
                    cmd.get_arguments()
                        .find(|a| a.get_short() == Some(c))
                        .map(has_arg_of)
                }) {
                    Some(h) => h,
                    None => return Err(UsageError(format!("invalid option -- '{}'", c))),
                };
                let id = short_id(cmd, c)
                    .ok_or_else(|| UsageError(format!("invalid option -- '{}'", c)))?;
                let rest: String = chars[j..].iter().collect();
                let value = match has {
                    HasArg::No => None,
                    HasArg::Optional => {
                        j = chars.len();
                        if rest.is_empty() {
                            None
                        } else {
                            Some(rest)
                        }
                    }
                    HasArg::Required => {
                        j = chars.len();
                        if !rest.is_empty() {
                            Some(rest)
                        } else if i < args.len() {
                            i += 1;
                            Some(args[i - 1].clone())
                        } else {
                            return Err(UsageError(format!(
                                "option requires an argument -- '{}'",
                                c
                            )));
                        }
                    }
                };
                options.push(Occurrence { id, value, next: i });
            }
            continue;
        }
        operands.push(arg.clone());
    }
    Ok(())
}

fn resolve_long<'a, 'b>(
    longs: &'b [LongOpt<'a>],
    name: &str,
    whole: &str,
) -> Result<&'b LongOpt<'a>, UsageError> {
    if let Some(exact) = longs.iter().find(|o| o.name == name) {
        return Ok(exact);
    }
    let candidates: Vec<&LongOpt> = longs.iter().filter(|o| o.name.starts_with(name)).collect();
    match candidates.as_slice() {
        [] => Err(UsageError(format!("unrecognized option '{}'", whole))),
        [one] => Ok(one),
        [first, rest @ ..] => {
            // glibc lists the first match and the later ones that differ from it.
            let differing: Vec<&&LongOpt> = rest
                .iter()
                .filter(|o| o.has_arg != first.has_arg || o.val != first.val)
                .collect();
            if differing.is_empty() {
                Ok(first)
            } else {
                let names: Vec<String> = std::iter::once(first)
                    .chain(differing)
                    .map(|o| format!("'--{}'", o.name))
                    .collect();
                let shown = whole.split('=').next().unwrap_or(whole);
                Err(UsageError(format!(
                    "option '{}' is ambiguous; possibilities: {}",
                    shown,
                    names.join(" ")
                )))
            }
        }
    }
}

/// The argument list clap parses: every option by its clap long name (or short letter) with
/// its value attached, then `--` and the operands.
pub fn normalised_args(cmd: &Command, parsed: &Parsed) -> Vec<String> {
    let mut out = Vec::new();
    for occ in &parsed.options {
        let arg = cmd.get_arguments().find(|a| a.get_id() == occ.id.as_str());
        let flag = match arg.and_then(|a| a.get_long()) {
            Some(l) => format!("--{}", l),
            None => format!("-{}", arg.and_then(|a| a.get_short()).unwrap_or('?')),
        };
        match &occ.value {
            Some(v) if flag.starts_with("--") => out.push(format!("{}={}", flag, v)),
            Some(v) => {
                out.push(flag);
                out.push(v.clone());
            }
            None => out.push(flag),
        }
    }
    out.push("--".to_string());
    out.extend(parsed.operands.iter().cloned());
    out
}

/// The text of `--long-options`.
pub fn long_options_listing(tables: &GetoptTables) -> String {
    tables
        .long
        .iter()
        .filter(|n| **n != "long-options" && **n != "short-options")
        .map(|n| format!("--{}\n", n))
        .collect()
}

/// The text of `--short-options`.
pub fn short_options_listing(tables: &GetoptTables) -> String {
    tables
        .short
        .chars()
        .filter(|&c| c != ':')
        .map(|c| format!("-{}\n", c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Arg;

    fn cmd() -> Command {
        Command::new("t")
            .arg(
                Arg::new("add")
                    .short('a')
                    .long("add")
                    .action(ArgAction::Append),
            )
            .arg(
                Arg::new("format")
                    .long("format")
                    .num_args(0..=1)
                    .require_equals(true)
                    .action(ArgAction::Append),
            )
            .arg(Arg::new("help").long("help").action(ArgAction::SetTrue))
            .arg(
                Arg::new("human")
                    .short('h')
                    .long("human-readable")
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("time")
                    .long("time")
                    .alias("times")
                    .action(ArgAction::SetTrue),
            )
            .arg(Arg::new("time-t").long("time-t").action(ArgAction::SetTrue))
            .arg(
                Arg::new("long")
                    .short('l')
                    .long("long")
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("rec")
                    .short('R')
                    .long("recursive")
                    .action(ArgAction::SetTrue),
            )
    }

    const TABLES: GetoptTables = GetoptTables {
        short: "a:hlR",
        long: &[
            "add",
            "format",
            "help",
            "human-readable",
            "long",
            "recursive",
            "time",
            "times",
            "time-t",
        ],
    };

    fn run(args: &[&str]) -> Result<Parsed, UsageError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        getopt(&cmd(), &TABLES, &args)
    }

    #[test]
    fn permutes_and_clusters() {
        let p = run(&["x", "-lR", "-adisk", "y", "--add", "d2", "--", "-z"]).unwrap();
        let ids: Vec<&str> = p.options.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["long", "rec", "add", "add"]);
        assert_eq!(p.options[2].value.as_deref(), Some("disk"));
        assert_eq!(p.operands, ["x", "y", "-z"]);
    }

    #[test]
    fn optional_arguments_must_be_attached() {
        let p = run(&["--format", "raw"]).unwrap();
        assert_eq!(p.options[0].value, None);
        assert_eq!(p.operands, ["raw"]);
        assert_eq!(
            run(&["--format=raw"]).unwrap().options[0].value.as_deref(),
            Some("raw")
        );
    }

    #[test]
    fn prefixes_like_glibc() {
        assert_eq!(run(&["--rec"]).unwrap().options[0].id, "rec");
        assert_eq!(run(&["--ti"]).unwrap().options[0].id, "time");
        assert_eq!(
            run(&["--h"]).unwrap_err().0,
            "option '--h' is ambiguous; possibilities: '--help' '--human-readable'"
        );
        assert_eq!(
            run(&["--bogus"]).unwrap_err().0,
            "unrecognized option '--bogus'"
        );
        assert_eq!(
            run(&["--long=x"]).unwrap_err().0,
            "option '--long' doesn't allow an argument"
        );
        assert_eq!(
            run(&["--add"]).unwrap_err().0,
            "option '--add' requires an argument"
        );
        assert_eq!(
            run(&["-a"]).unwrap_err().0,
            "option requires an argument -- 'a'"
        );
        assert_eq!(run(&["-z"]).unwrap_err().0, "invalid option -- 'z'");
    }

    #[test]
    fn normalises_for_clap() {
        let p = run(&["-lR", "--format=raw", "-a", "d", "op"]).unwrap();
        assert_eq!(
            normalised_args(&cmd(), &p),
            [
                "--long",
                "--recursive",
                "--format=raw",
                "--add=d",
                "--",
                "op"
            ]
        );
    }
}

//! Help: `guestfish -h` (the command list), `-h CMD` / `help CMD` (a command's page, laid out
//! as 1.48 lays it out: NAME, SYNOPSIS, DESCRIPTION wrapped at 76 columns), the `help`
//! command, and the command reference of the manual page. The texts come from the API
//! declaration (summary, description) and the guestfish commands' own table.

use super::commands::{FishCommand, COMMANDS};
use super::dispatch::{action_aliases, fish_actions, lookup, Target};
use super::session::{stderr_line, CmdResult, Failed, Fish};
use guestfs::protocol::meta::{Action, ArgType, OptArgType, StrKind};

/// The one-line help of `help` and `quit`, which are not in the command table.
const BUILTINS: [(&str, &str); 2] = [
    ("help", "display a list of commands or help on a command"),
    ("quit", "quit guestfish"),
];

/// The usage line of an action: its name, its argument names (passphrases are prompted for)
/// and `[name:type]` per optional argument.
pub fn synopsis(a: &Action) -> String {
    let mut s = a.fish_name();
    for arg in a.args {
        if arg.ty != ArgType::Str(StrKind::Key) {
            s.push(' ');
            s.push_str(arg.name);
        }
    }
    for o in a.optargs {
        let kind = match o.ty {
            OptArgType::Bool => "true|false",
            OptArgType::Int | OptArgType::Int64 => "N",
            OptArgType::String | OptArgType::StringList => "..",
        };
        s.push_str(&format!(" [{}:{}]", o.name, kind));
    }
    s
}

/// Every command, guestfish command and alias with its one-line description, sorted as 1.48
/// sorts them (by the name with underscores).
fn listing() -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut push = |name: &str, summary: &str, aliases: Vec<String>| {
        entries.push((name.to_string(), summary.to_string()));
        for alias in aliases.into_iter().filter(|a| !a.ends_with("-opts")) {
            entries.push((alias, format!("alias for '{}'", name.replace('_', "-"))));
        }
    };
    for a in fish_actions() {
        push(a.name, a.summary, action_aliases(a));
    }
    for c in COMMANDS {
        push(
            c.name,
            c.summary,
            c.aliases.iter().map(|s| s.to_string()).collect(),
        );
    }
    entries.sort_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()));
    entries
        .into_iter()
        .map(|(n, s)| (n.replace('_', "-"), s))
        .collect()
}

/// `guestfish -h` and `help -l`.
pub fn list_commands() -> String {
    let mut s = format!("    {:<16}     {}\n", "Command", "Description");
    for (name, desc) in BUILTINS {
        s.push_str(&format!("{:<20} {}\n", name, desc));
    }
    for (name, desc) in listing() {
        s.push_str(&format!("{:<20} {}\n", name, desc));
    }
    s.push_str("    Use -h <cmd> / help <cmd> to show detailed help for a command.\n");
    s
}

/// Every name the command-line completion offers: the builtins, then each command and its
/// aliases.
pub fn completion_names() -> Vec<String> {
    let mut names: Vec<String> = ["help", "quit", "exit", "q"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut all: Vec<(&str, String, Vec<String>)> = fish_actions()
        .map(|a| (a.name, a.fish_name(), action_aliases(a)))
        .chain(COMMANDS.iter().map(|c| {
            (
                c.name,
                c.name.replace('_', "-"),
                c.aliases.iter().map(|s| s.to_string()).collect(),
            )
        }))
        .collect();
    all.sort_by(|x, y| x.0.cmp(y.0));
    for (_, name, aliases) in all {
        names.push(name);
        names.extend(aliases);
    }
    names
}

/// A block of help text.
enum Block {
    /// Running text, re-wrapped.
    Text(String),
    /// Lines shown as they are (examples, usage lines).
    Verbatim(Vec<String>),
    /// A list item (`- text`).
    Item(String),
}

/// Splits description text into blocks: paragraphs separated by blank lines, indented lines
/// kept as they are, lines starting with `- ` as list items. `code` becomes "code", as 1.48
/// shows C<code>.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut Vec<Block>| {
        if para.is_empty() {
            return;
        }
        if para[0].starts_with(' ') || para[0].starts_with('\t') {
            out.push(Block::Verbatim(
                para.iter().map(|l| l.to_string()).collect(),
            ));
        } else {
            let mut item: Option<String> = None;
            let mut text: Vec<&str> = Vec::new();
            for l in para.iter() {
                if let Some(rest) = l.strip_prefix("- ") {
                    if !text.is_empty() {
                        out.push(Block::Text(text.join(" ")));
                        text.clear();
                    }
                    if let Some(i) = item.take() {
                        out.push(Block::Item(i));
                    }
                    item = Some(rest.to_string());
                } else if let Some(i) = item.as_mut() {
                    i.push(' ');
                    i.push_str(l.trim());
                } else {
                    text.push(l);
                }
            }
            if let Some(i) = item {
                out.push(Block::Item(i));
            }
            if !text.is_empty() {
                out.push(Block::Text(text.join(" ")));
            }
        }
        para.clear();
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut para, &mut out);
        } else {
            para.push(line);
        }
    }
    flush(&mut para, &mut out);
    out
}

/// `code` → "code".
fn quote_code(s: &str) -> String {
    s.replace('`', "\"")
}

/// Pod::Text's wrapping: lines of at most 72 characters after a 4-space margin, broken at
/// blanks (or hard at 72 when a word is longer), whitespace runs collapsed; a blank line after.
fn wrap(text: &str, indent: &str, hanging: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let width = 76 - indent.chars().count();
    let mut out = String::new();
    let mut current = String::new();
    let mut first = true;
    let emit = |out: &mut String, current: &mut String, first: &mut bool| {
        out.push_str(if *first { indent } else { hanging });
        out.push_str(current);
        out.push('\n');
        current.clear();
        *first = false;
    };
    for w in words {
        let mut w = w.to_string();
        let len = |s: &str| s.chars().count();
        if !current.is_empty() && len(&current) + 1 + len(&w) > width {
            emit(&mut out, &mut current, &mut first);
        }
        while current.is_empty() && len(&w) > width {
            let cut: String = w.chars().take(width).collect();
            w = w.chars().skip(width).collect();
            current = cut;
            emit(&mut out, &mut current, &mut first);
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&w);
    }
    if !current.is_empty() || first {
        emit(&mut out, &mut current, &mut first);
    }
    out.push('\n');
    out
}

/// The DESCRIPTION part of a page.
fn render_description(text: &str) -> String {
    let mut s = String::new();
    for b in blocks(text) {
        match b {
            Block::Text(t) => s.push_str(&wrap(&quote_code(&t), "    ", "    ")),
            Block::Item(t) => s.push_str(&wrap(&quote_code(&t), "    - ", "      ")),
            Block::Verbatim(lines) => {
                for l in lines {
                    s.push_str("    ");
                    s.push_str(&l);
                    s.push('\n');
                }
                s.push('\n');
            }
        }
    }
    s
}

/// The notes after an action's description: passphrase prompts, deprecation, aliases.
fn action_notes(a: &Action) -> String {
    let mut notes = String::new();
    if a.args.iter().any(|x| x.ty == ArgType::Str(StrKind::Key)) {
        notes.push_str(
            "\n\nThis command has one or more key or passphrase parameters. \
             Guestfish will prompt for these separately.",
        );
    }
    if a.deprecated {
        match a.deprecated_by {
            Some(by) => notes.push_str(&format!(
                "\n\nThis command is deprecated: use `{}` instead.",
                by.replace('_', "-")
            )),
            None => notes.push_str("\n\nThis command is deprecated and has no replacement."),
        }
    }
    notes.push_str(&alias_note(&action_aliases(a)));
    notes
}

fn alias_note(aliases: &[String]) -> String {
    if aliases.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = aliases.iter().map(|a| format!("'{}'", a)).collect();
    format!(
        "\n\nYou can use {} as an alias for this command.",
        quoted.join(" or ")
    )
}

/// The help page of an action.
pub fn action_page(a: &Action) -> String {
    let mut s = String::from("NAME\n");
    s.push_str(&wrap(
        &quote_code(&format!("{} - {}", a.fish_name(), a.summary)),
        "    ",
        "    ",
    ));
    s.push_str("SYNOPSIS\n");
    s.push_str(&format!("     {}\n\n", synopsis(a)));
    s.push_str("DESCRIPTION\n");
    let text = format!("{}{}", a.description.trim_end(), action_notes(a));
    s.push_str(&render_description(text.trim_start_matches('\n')));
    s
}

/// The help page of a guestfish command.
pub fn command_page(c: &FishCommand) -> String {
    let name = c.name.replace('_', "-");
    let mut s = String::from("NAME\n");
    s.push_str(&wrap(&format!("{} - {}", name, c.summary), "    ", "    "));
    s.push_str("DESCRIPTION\n");
    let aliases: Vec<String> = c.aliases.iter().map(|s| s.to_string()).collect();
    let text = format!("{}{}", c.help.trim_end(), alias_note(&aliases));
    s.push_str(&render_description(&text));
    s
}

/// `-h CMD` / `help CMD`: prints the page, or says the command is not known.
pub fn display_command(cmd: &str, interactive: bool) -> CmdResult {
    let page = match lookup(cmd) {
        Some(Target::Action(a)) => action_page(a),
        Some(Target::Fish(c)) => command_page(c),
        None if cmd.eq_ignore_ascii_case("help") => "help - display a list of commands or help on a command\n     help --list\n     help cmd\n     help\n".to_string(),
        None if ["quit", "exit", "q"].iter().any(|q| cmd.eq_ignore_ascii_case(q)) => {
            "quit - quit guestfish\n     quit\n".to_string()
        }
        None => {
            let hint = if interactive {
                "use 'help --list' to list all commands"
            } else {
                "use -h to list all commands"
            };
            stderr_line(&format!("{}: command not known: {}", cmd, hint));
            return Err(Failed);
        }
    };
    super::session::write_stdout(page.as_bytes())
}

/// The `help` command: orientation text, `help CMD`, or `help -l`.
pub fn help_command(fish: &mut Fish, args: &[Vec<u8>]) -> CmdResult {
    match args {
        [] => {
            let before = fish.g.state() == guestfs::State::Config;
            let text = if before {
                "Add disk images to examine using the ‘-a’ or ‘-d’ options, or the ‘add’\n\
                 command.\n\
                 Or create a new disk image using ‘-N’, or the ‘alloc’ or ‘sparse’ commands.\n\
                 Once you have done this, use the ‘run’ command.\n"
            } else {
                "Find out what filesystems are available using ‘list-filesystems’ and then\n\
                 mount them to examine or modify the contents using ‘mount-ro’ or\n\
                 ‘mount’.\n"
            };
            fish.out(format!("{}\nFor more information about a command, use ‘help cmd’.\n\nTo read the manual, type ‘man’.\n\n", text).as_bytes());
            Ok(())
        }
        [one] if one == b"--list" || one == b"-l" => {
            fish.out(list_commands().as_bytes());
            Ok(())
        }
        [one] => {
            let cmd = String::from_utf8_lossy(one).into_owned();
            fish.flush_stdout();
            display_command(&cmd, fish.settings.interactive)
        }
        _ => {
            stderr_line("use 'help', 'help <cmd>' or 'help -l|--list' to list all commands");
            Err(Failed)
        }
    }
}

fn roff_escape(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{}", s)
    } else {
        s
    }
}

/// Description text as roff paragraphs.
fn roff_description(text: &str) -> String {
    let mut s = String::new();
    for b in blocks(text) {
        match b {
            Block::Text(t) => s.push_str(&format!(".PP\n{}\n", roff_escape(&quote_code(&t)))),
            Block::Item(t) => {
                s.push_str(&format!(".IP \\(bu 2\n{}\n", roff_escape(&quote_code(&t))))
            }
            Block::Verbatim(lines) => {
                s.push_str(".PP\n.nf\n");
                for l in lines {
                    s.push_str(&format!("\\&{}\n", roff_escape(&l)));
                }
                s.push_str(".fi\n");
            }
        }
    }
    s
}

/// The manual's reference of every guestfish command and API command, in name order.
pub fn man_reference() -> String {
    let mut s = String::from(".SH \"GUESTFISH COMMANDS\"\n");
    s.push_str(".PP\nThe commands guestfish itself provides.\n");
    for c in COMMANDS {
        s.push_str(&format!(
            ".SS \"{}\"\n",
            roff_escape(&c.name.replace('_', "-"))
        ));
        for a in c.aliases {
            s.push_str(&format!(".PD 0\n.SS \"{}\"\n.PD\n", roff_escape(a)));
        }
        s.push_str(&roff_description(&format!("{}\n", c.help.trim_end())));
    }
    s.push_str(".SH COMMANDS\n");
    s.push_str(".PP\nOne command per call of the libguestfs API.\n");
    for a in fish_actions() {
        s.push_str(&format!(".SS \"{}\"\n", roff_escape(&a.fish_name())));
        for alias in action_aliases(a) {
            s.push_str(&format!(".PD 0\n.SS \"{}\"\n.PD\n", roff_escape(&alias)));
        }
        s.push_str(&format!(
            ".PP\n.nf\n\\& {}\n.fi\n",
            roff_escape(&synopsis(a))
        ));
        s.push_str(&format!(".PP\n{}\n", roff_escape(a.summary)));
        let text = format!("{}{}", a.description.trim_end(), action_notes(a));
        s.push_str(&roff_description(text.trim_start_matches('\n')));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synopsis_like_1_48() {
        let a = guestfs::action("add_drive").unwrap();
        assert_eq!(
            synopsis(a),
            "add-drive filename [readonly:true|false] [format:..] [iface:..] [name:..] [label:..] [protocol:..] [server:..] [username:..] [secret:..] [cachemode:..] [discard:..] [copyonread:true|false] [blocksize:N]"
        );
        assert_eq!(
            synopsis(guestfs::action("luks_open").unwrap()),
            "luks-open device mapname"
        );
    }

    #[test]
    fn wrapping_like_pod2text() {
        let long = "word ".repeat(30);
        let w = wrap(&long, "    ", "    ");
        for l in w.lines().filter(|l| !l.is_empty()) {
            assert!(l.len() <= 76, "{l:?}");
        }
        assert!(w.ends_with("word\n\n"));
        let exact = format!("{} {}", "a".repeat(70), "b");
        assert_eq!(
            wrap(&exact, "    ", "    "),
            format!("    {} b\n\n", "a".repeat(70))
        );
        let over = format!("{} {}", "a".repeat(71), "bc");
        assert_eq!(
            wrap(&over, "    ", "    "),
            format!("    {}\n    bc\n\n", "a".repeat(71))
        );
        assert_eq!(
            wrap(&"x".repeat(80), "    ", "    "),
            format!("    {}\n    xxxxxxxx\n\n", "x".repeat(72))
        );
    }

    #[test]
    fn listing_is_sorted_like_1_48() {
        let l = list_commands();
        let lines: Vec<&str> = l.lines().collect();
        assert_eq!(lines[0], "    Command              Description");
        assert!(lines[1].starts_with("help                 "));
        let pos = |n: &str| {
            lines
                .iter()
                .position(|l| l.split(' ').next() == Some(n))
                .unwrap()
        };
        // `-` sorts before `_`: add, add-ro, add-cdrom, ...
        assert!(pos("add") < pos("add-ro"));
        assert!(pos("add-ro") < pos("add-cdrom"));
        assert!(lines.contains(&"add                  alias for 'add-drive'"));
        assert!(lines.contains(&"allocate             alias for 'alloc'"));
        assert!(!l.contains("add-drive-opts"));
        assert_eq!(
            *lines.last().unwrap(),
            "    Use -h <cmd> / help <cmd> to show detailed help for a command."
        );
    }

    #[test]
    fn pages() {
        let p = action_page(guestfs::action("add_drive").unwrap());
        assert!(p.starts_with("NAME\n    add-drive - "));
        assert!(p.contains("SYNOPSIS\n     add-drive filename [readonly:true|false]"));
        assert!(
            p.ends_with("You can use 'add' or 'add-drive-opts' as an alias for this command.\n\n")
        );
        let c = command_page(COMMANDS.iter().find(|c| c.name == "alloc").unwrap());
        assert!(c.starts_with("NAME\n    alloc - "));
        assert!(c.contains("DESCRIPTION\n     alloc filename size\n\n"));
        assert!(c.ends_with("You can use 'allocate' as an alias for this command.\n\n"));
    }
}

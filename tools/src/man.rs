//! Man pages, generated from each tool's clap declaration (synopsis and options) and its
//! prose in `man/src/TOOL.txt` (sections `= TITLE`, paragraphs, indented literal lines).

use crate::common::{upstream_package, ToolSpec};
use clap::ArgAction;

fn escape(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{}", s)
    } else {
        s
    }
}

/// How every tool's `--machine-readable` records are written (one text for all the pages).
const JSON_RECORDS: &str = include_str!("../../man/src/json-records.txt");

/// The roff text of a tool's man page.
pub fn render(spec: &ToolSpec) -> String {
    let cmd = (spec.command)();
    let mut out = header(spec.name, spec.description);
    out.push_str(".SH SYNOPSIS\n.nf\n");
    for u in spec.usage {
        out.push_str(&escape(&u.replace("{prog}", spec.name)));
        out.push('\n');
    }
    out.push_str(".fi\n");
    let sections = parse_prose(spec.man);
    let mut options_done = false;
    for (title, body) in &sections {
        out.push_str(&format!(".SH {}\n{}", title, body));
        if title == "DESCRIPTION" {
            out.push_str(&options(&cmd));
            options_done = true;
        }
    }
    if !options_done {
        out.push_str(&options(&cmd));
    }
    if cmd
        .get_arguments()
        .any(|a| a.get_id() == "machine-readable")
    {
        for (title, body) in parse_prose(JSON_RECORDS) {
            out.push_str(&format!(".SH {}\n{}", title, body));
        }
    }
    if spec.name == crate::guestfish::SPEC.name {
        out.push_str(&crate::guestfish::help::man_reference());
    }
    out.push_str(&format!(
        ".SH VERSION\n{} \\-V prints {}: this {} reproduces the {} of {} {}. It is part of \
         virt\\-tools {} (virt\\-tools \\-\\-version).\n",
        escape(spec.name),
        spec.version,
        escape(spec.name),
        escape(spec.name),
        escape(upstream_package(spec)),
        spec.version,
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str(&footer(
        "virt\\-tools(1), guestfs(3), http://libguestfs.org/",
    ));
    out
}

/// The page of the multi-call binary itself: its own options, the tools it runs, the prose of
/// `man/src/virt-tools.txt`.
pub fn render_multicall(
    description: &str,
    tools: &[&ToolSpec],
    own_options: &[(&str, &str, &str)],
) -> String {
    let mut out = header("virt-tools", description);
    out.push_str(".SH SYNOPSIS\n.nf\nvirt\\-tools TOOL [ARGS...]\n");
    for (names, arg, _) in own_options {
        let first = names.split(", ").last().unwrap_or(names);
        out.push_str(&escape(format!("virt-tools {} {}", first, arg).trim_end()));
        out.push('\n');
    }
    out.push_str(".fi\n");
    for (title, body) in parse_prose(include_str!("../../man/src/virt-tools.txt")) {
        out.push_str(&format!(".SH {}\n{}", title, body));
        if title == "DESCRIPTION" {
            out.push_str(".SH TOOLS\n");
            for t in tools {
                out.push_str(&format!(
                    ".TP\n\\fB{}\\fR(1)\n{}\n",
                    escape(t.name),
                    escape(t.description)
                ));
            }
            out.push_str(".SH OPTIONS\n");
            for (names, arg, what) in own_options {
                let names: Vec<String> = names
                    .split(", ")
                    .map(|n| format!("\\fB{}\\fR", escape(n)))
                    .collect();
                let mut line = names.join(", ");
                if !arg.is_empty() {
                    line.push_str(&format!(" \\fI{}\\fR", escape(arg)));
                }
                out.push_str(&format!(".TP\n{}\n{}\n", line, escape(what)));
            }
        }
    }
    let pages: Vec<String> = tools
        .iter()
        .map(|t| format!("{}(1)", escape(t.name)))
        .collect();
    out.push_str(&footer(&format!(
        "{}, guestfs(3), http://libguestfs.org/",
        pages.join(", ")
    )));
    out
}

/// The title line and NAME section of a page.
fn header(name: &str, description: &str) -> String {
    format!(
        ".TH {} 1 \"\" \"virt-tools {}\" \"Virtualization Support\"\n.SH NAME\n{} \\- {}\n",
        name.to_uppercase(),
        env!("CARGO_PKG_VERSION"),
        name,
        escape(description)
    )
}

/// SEE ALSO (already escaped roff) and LICENCE, the end of every page.
fn footer(see_also: &str) -> String {
    format!(
        ".SH SEE ALSO\n{}\n.SH LICENCE\nGPL\\-2.0\\-or\\-later; the library is LGPL\\-2.1\\-or\\-later.\n",
        see_also
    )
}

fn options(cmd: &clap::Command) -> String {
    let mut out = String::from(".SH OPTIONS\n");
    for arg in cmd.get_arguments().filter(|a| !a.is_positional()) {
        let id = arg.get_id().as_str();
        if id == "long-options" || id == "short-options" {
            continue;
        }
        let mut names = Vec::new();
        if let Some(c) = arg.get_short() {
            names.push(format!("\\fB\\-{}\\fR", c));
        }
        if let Some(l) = arg.get_long() {
            names.push(format!("\\fB\\-\\-{}\\fR", escape(l)));
        }
        for a in arg.get_all_aliases().unwrap_or_default() {
            names.push(format!("\\fB\\-\\-{}\\fR", escape(a)));
        }
        let mut line = names.join(", ");
        if matches!(arg.get_action(), ArgAction::Set | ArgAction::Append) {
            let value = arg
                .get_value_names()
                .and_then(|v| v.first())
                .map(|v| escape(v))
                .unwrap_or_default();
            if arg.get_num_args().is_some_and(|r| r.min_values() == 0) {
                line.push_str(&format!("[=\\fI{}\\fR]", value));
            } else {
                line.push_str(&format!(" \\fI{}\\fR", value));
            }
        }
        let help = arg
            .get_help()
            .map(|h| escape(&h.to_string()))
            .unwrap_or_default();
        out.push_str(&format!(".TP\n{}\n{}\n", line, help));
    }
    out
}

/// Splits the prose into (TITLE, roff body) sections.
fn parse_prose(text: &str) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut in_literal = false;
    let mut para_open = false;
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("= ") {
            if in_literal {
                if let Some(s) = sections.last_mut() {
                    s.1.push_str(".fi\n");
                }
                in_literal = false;
            }
            sections.push((title.to_string(), String::new()));
            para_open = false;
            continue;
        }
        let Some((_, body)) = sections.last_mut() else {
            continue;
        };
        if line.trim().is_empty() {
            if in_literal {
                body.push_str(".fi\n");
                in_literal = false;
            }
            para_open = false;
            continue;
        }
        if let Some(lit) = line.strip_prefix("  ") {
            if !in_literal {
                body.push_str(".PP\n.nf\n");
                in_literal = true;
            }
            body.push_str(&format!("\\&{}\n", escape(lit)));
            continue;
        }
        if in_literal {
            body.push_str(".fi\n");
            in_literal = false;
        }
        if !para_open {
            body.push_str(".PP\n");
            para_open = true;
        }
        body.push_str(&escape(line));
        body.push('\n');
    }
    if in_literal {
        if let Some((_, body)) = sections.last_mut() {
            body.push_str(".fi\n");
        }
    }
    sections
}

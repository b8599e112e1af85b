//! virt-tools: libguestfs's virt tools as one multi-call binary.
//!
//! The tool is chosen by the name the binary is run under (`virt-cat`, `virt-ls`, … through
//! symlinks), or by the first argument (`virt-tools virt-cat …`).

mod alignment_scan;
mod cat;
mod common;
mod copy_in;
mod copy_out;
mod df;
mod diff;
mod edit;
mod filesystems;
mod format;
mod guestfish;
mod guestmount;
mod guestunmount;
mod inspector;
mod log;
mod ls;
mod make_fixed_appliance;
mod make_fs;
mod man;
mod rescue;
mod tail;
mod tar_in;
mod tar_out;
mod test_tool;
mod win_reg;

use common::ToolSpec;

/// Every tool of the binary, in name order (the order of `--list`, `--help` and virt-tools(1)).
static TOOLS: &[&ToolSpec] = &[
    &guestfish::SPEC,
    &guestmount::SPEC,
    &guestunmount::SPEC,
    &make_fixed_appliance::SPEC,
    &test_tool::SPEC,
    &alignment_scan::SPEC,
    &cat::SPEC,
    &copy_in::SPEC,
    &copy_out::SPEC,
    &df::SPEC,
    &diff::SPEC,
    &edit::SPEC,
    &filesystems::SPEC,
    &format::SPEC,
    &inspector::SPEC,
    &log::SPEC,
    &ls::SPEC,
    &make_fs::SPEC,
    &rescue::SPEC,
    &tail::SPEC,
    &tar_in::SPEC,
    &tar_out::SPEC,
    &win_reg::SPEC,
];

/// What `virt-tools` itself answers when its first argument is not a tool: (names, argument,
/// what it does). Its usage and its man page are written from this table.
static OWN_OPTIONS: &[(&str, &str, &str)] = &[
    ("--list", "", "list the tools, one a line"),
    (
        "-V, --version",
        "",
        "print the version of virt-tools and the upstream releases its tools reproduce",
    ),
    ("--help", "", "print this help"),
    (
        "--generate-man",
        "DIR",
        "write the man pages (TOOL.1 for every tool, and virt-tools.1) into DIR (default: man)",
    ),
];

fn find_tool(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().copied().find(|t| t.name == name)
}

/// What `virt-tools` is, in its help and on its man page.
const DESCRIPTION: &str = "libguestfs's virt tools in one binary";

fn usage() -> String {
    let mut lines = vec![(
        "TOOL [ARGS…]".to_string(),
        "run TOOL (or run this binary under the tool's name)",
    )];
    for (names, arg, what) in OWN_OPTIONS {
        lines.push((format!("{} {}", names, arg).trim_end().to_string(), what));
    }
    let width = lines
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let mut s = format!("virt-tools: {}\nUsage:\n", DESCRIPTION);
    for (left, what) in &lines {
        s.push_str(&format!("  virt-tools {:<width$}  {}\n", left, what));
    }
    s.push_str("Tools:\n");
    let width = TOOLS.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for t in TOOLS {
        s.push_str(&format!("  {:<width$}  {}\n", t.name, t.description));
    }
    s
}

/// `virt-tools --generate-man DIR`: every tool's page and virt-tools.1.
fn generate_man(dir: &std::path::Path) -> std::io::Result<()> {
    for t in TOOLS {
        std::fs::write(dir.join(format!("{}.1", t.name)), man::render(t))?;
    }
    std::fs::write(
        dir.join("virt-tools.1"),
        man::render_multicall(DESCRIPTION, TOOLS, OWN_OPTIONS),
    )
}

fn main() {
    // Arguments are bytes (a guest path need not be UTF-8); the API's strings carry them.
    let mut args: Vec<String> = std::env::args_os()
        .map(|a| guestfs::protocol::lossless::string_of_os(&a).into_owned())
        .collect();
    let argv0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| "virt-tools".to_string());
    let mut prog = std::path::Path::new(&argv0)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "virt-tools".to_string());
    if find_tool(&prog).is_none() {
        // `virt-tools TOOL ARGS…`
        match args.get(1).map(String::as_str) {
            Some("--list") => {
                for t in TOOLS {
                    println!("{}", t.name);
                }
                std::process::exit(0);
            }
            Some(name) if find_tool(name).is_some() => {
                prog = name.to_string();
                args.remove(0);
            }
            Some("-V") | Some("--version") => {
                println!("{}", common::version_line());
                std::process::exit(0);
            }
            Some("--generate-man") => {
                let dir = std::path::PathBuf::from(
                    args.get(2).cloned().unwrap_or_else(|| "man".to_string()),
                );
                if let Err(e) = generate_man(&dir) {
                    eprintln!("virt-tools: {}: {}", dir.display(), common::os_error(&e));
                    std::process::exit(1);
                }
                std::process::exit(0);
            }
            Some("--help") | None => {
                print!("{}", usage());
                std::process::exit(if args.len() > 1 { 0 } else { 1 });
            }
            Some(other) => {
                eprintln!(
                    "virt-tools: unknown tool ‘{}’ (virt-tools --list lists them)",
                    other
                );
                std::process::exit(1);
            }
        }
    }
    let spec = match find_tool(&prog) {
        Some(s) => s,
        None => std::process::exit(1),
    };
    let rest: Vec<String> = args.into_iter().skip(1).collect();
    // guestfish acts on its options one by one as it reads them: it parses its own.
    let code = if spec.name == guestfish::SPEC.name {
        guestfish::main(&prog, rest)
    } else {
        common::run_tool(spec, &prog, rest)
    };
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_declared_in_name_order_once() {
        let names: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn every_tool_reports_an_upstream_release() {
        for t in TOOLS {
            assert!(!common::upstream_package(t).is_empty(), "{}", t.name);
        }
    }

    #[test]
    fn usage_aligns_every_tool_description() {
        let text = usage();
        let tools = text.split("Tools:\n").nth(1).unwrap();
        // Where each description starts.
        let columns: Vec<usize> = tools
            .lines()
            .zip(TOOLS)
            .map(|(line, t)| {
                assert!(line.ends_with(t.description), "{}", line);
                line.len() - t.description.len()
            })
            .collect();
        assert_eq!(columns.len(), TOOLS.len());
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{}", text);
    }
}

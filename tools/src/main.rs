//! virt-tools: libguestfs's virt tools as one multi-call binary.
//!
//! The tool is chosen by the name the binary is run under (`virt-cat`, `virt-ls`, … through
//! symlinks), or by the first argument (`virt-tools virt-cat …`).

mod alignment_scan;
mod cat;
mod common;
mod copy_out;
mod df;
mod diff;
mod filesystems;
mod guestfish;
mod inspector;
mod log;
mod ls;
mod make_fixed_appliance;
mod man;
mod tail;
mod tar_out;
mod test_tool;
mod win_reg;

use common::ToolSpec;

/// Every tool of the binary.
static TOOLS: &[&ToolSpec] = &[
    &alignment_scan::SPEC,
    &cat::SPEC,
    &copy_out::SPEC,
    &df::SPEC,
    &diff::SPEC,
    &filesystems::SPEC,
    &guestfish::SPEC,
    &inspector::SPEC,
    &log::SPEC,
    &ls::SPEC,
    &make_fixed_appliance::SPEC,
    &tail::SPEC,
    &tar_out::SPEC,
    &test_tool::SPEC,
    &win_reg::SPEC,
];

fn find_tool(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().copied().find(|t| t.name == name)
}

fn usage() -> String {
    let mut s = String::from(
        "virt-tools: libguestfs's virt tools in one binary\n\
         Usage:\n  virt-tools TOOL [ARGS…]     run TOOL (or run this binary under the tool's name)\n  \
         virt-tools --list           list the tools\nTools:\n",
    );
    for t in TOOLS {
        s.push_str(&format!("  {:<20} {}\n", t.name, t.description));
    }
    s
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
            Some("--generate-man") => {
                // Writes man/TOOL.1 for every tool into the given directory.
                let dir = std::path::PathBuf::from(
                    args.get(2).cloned().unwrap_or_else(|| "man".to_string()),
                );
                for t in TOOLS {
                    let path = dir.join(format!("{}.1", t.name));
                    if let Err(e) = std::fs::write(&path, man::render(t)) {
                        eprintln!("virt-tools: {}: {}", path.display(), e);
                        std::process::exit(1);
                    }
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

//! Compiles the lists of `contents/*.txt` (what the appliance carries, one file per family of
//! calls) into the builder, so that adding a program is a one-line change to a data file.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("contents");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut lists: Vec<(String, Vec<String>)> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("appliance/contents") {
        let path = entry.expect("appliance/contents").path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("readable contents list");
        let entries = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        lists.push((name, entries));
    }
    lists.sort();
    let mut out = String::from(
        "/// Each list of `appliance/contents/` (its file name without `.txt`) with its entries.\n\
         pub const CONTENTS: &[(&str, &[&str])] = &[\n",
    );
    for (name, entries) in &lists {
        write!(out, "    ({:?}, &[", name).unwrap();
        for e in entries {
            write!(out, "{:?}, ", e).unwrap();
        }
        out.push_str("]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("contents.rs");
    std::fs::write(dest, out).expect("write contents.rs");
}

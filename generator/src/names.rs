//! Rust names and types for the declared calls, structs and arguments.

use crate::model::*;

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// An identifier safe to use as a Rust variable or field name.
pub fn ident(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("r#{}", name)
    } else {
        name.to_string()
    }
}

/// `lvm_pv` → `LvmPv`.
pub fn camel(name: &str) -> String {
    name.split('_')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The Rust type of a struct. Names libguestfs runs together are split where Rust readers
/// expect it (`statvfs` → `StatVfs`).
pub fn struct_type(name: &str) -> String {
    match name {
        "statns" => "StatNs".into(),
        "statvfs" => "StatVfs".into(),
        "btrfssubvolume" => "BtrfsSubvolume".into(),
        "btrfsqgroup" => "BtrfsQgroup".into(),
        "btrfsbalance" => "BtrfsBalance".into(),
        "btrfsscrub" => "BtrfsScrub".into(),
        "xfsinfo" => "XfsInfo".into(),
        "isoinfo" => "IsoInfo".into(),
        "mdstat" => "MdStat".into(),
        "utsname" => "UtsName".into(),
        other => camel(other),
    }
}

/// The optional-arguments struct of a call.
pub fn opts_type(call: &Call) -> String {
    format!("{}Opts", camel(&call.name))
}

/// The procedure-number constant of a daemon call.
pub fn proc_const(call: &Call) -> String {
    call.name.to_ascii_uppercase()
}

/// A required argument as the backend traits take it.
pub fn trait_arg_type(t: &ArgType) -> String {
    match t {
        ArgType::Str(StrKind::FileIn) => "&mut crate::FileIn<'_>".into(),
        ArgType::Str(StrKind::FileOut) => "&mut dyn std::io::Write".into(),
        ArgType::Str(_) => "&str".into(),
        ArgType::OptString => "Option<&str>".into(),
        ArgType::StringList(_) => "&[String]".into(),
        ArgType::Bool => "bool".into(),
        ArgType::Int => "i32".into(),
        ArgType::Int64 => "i64".into(),
        ArgType::BufferIn => "&[u8]".into(),
        ArgType::Pointer(_) => "usize".into(),
    }
}

/// A required argument as the Handle methods take it (files are local file names).
pub fn handle_arg_type(t: &ArgType) -> String {
    match t {
        ArgType::Str(StrKind::FileIn) | ArgType::Str(StrKind::FileOut) => "&str".into(),
        other => trait_arg_type(other),
    }
}

/// An optional argument's field type in the `…Opts` struct.
pub fn opt_field_type(t: OptType) -> &'static str {
    match t {
        OptType::Bool => "Option<bool>",
        OptType::Int => "Option<i32>",
        OptType::Int64 => "Option<i64>",
        OptType::String => "Option<String>",
        OptType::StringList => "Option<Vec<String>>",
    }
}

/// The Rust type a call returns (inside `Result`). `crate_path` prefixes struct types.
pub fn ret_type(r: &Ret, crate_path: &str) -> String {
    match r {
        Ret::Err => "()".into(),
        Ret::Int => "i32".into(),
        Ret::Int64 => "i64".into(),
        Ret::Bool => "bool".into(),
        Ret::ConstString | Ret::String(_) => "String".into(),
        Ret::ConstOptString => "Option<String>".into(),
        Ret::StringList(_) => "Vec<String>".into(),
        Ret::Hashtable(_, _) => "Vec<(String, String)>".into(),
        Ret::Struct(s) => format!("{}{}", crate_path, struct_type(s)),
        Ret::StructList(s) => format!("Vec<{}{}>", crate_path, struct_type(s)),
        Ret::BufferOut => "Vec<u8>".into(),
    }
}

/// A struct field's Rust type.
pub fn field_type(t: FieldType) -> &'static str {
    match t {
        FieldType::String | FieldType::Uuid => "String",
        FieldType::Buffer => "Vec<u8>",
        FieldType::Int32 => "i32",
        FieldType::UInt32 => "u32",
        // FBytes is unsigned in C but travels as a signed hyper; kept signed here.
        FieldType::Int64 | FieldType::Bytes => "i64",
        FieldType::UInt64 => "u64",
        FieldType::Char => "char",
        FieldType::OptPercent => "Option<f32>",
    }
}

/// The family's trait name (`filesystems` → `Filesystems`).
pub fn family_trait(family: &str) -> String {
    camel(family)
}

/// A Rust string literal.
pub fn lit(s: &str) -> String {
    format!("{:?}", s)
}

/// Doc-comment lines (`/// …`) for a summary and a longer description.
pub fn doc_lines(indent: &str, summary: &str, description: &str) -> String {
    let mut out = String::new();
    let mut first = summary.to_string();
    if let Some(c) = first.get(..1) {
        first = c.to_ascii_uppercase() + &first[1..];
    }
    if !first.ends_with('.') {
        first.push('.');
    }
    out.push_str(&format!("{}/// {}\n", indent, first));
    if !description.is_empty() {
        out.push_str(&format!("{}///\n", indent));
        for line in description.lines() {
            if line.trim().is_empty() {
                out.push_str(&format!("{}///\n", indent));
            } else {
                out.push_str(&format!("{}/// {}\n", indent, line));
            }
        }
    }
    out
}

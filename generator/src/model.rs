//! The declaration of the API as data: every action and struct of `api/`, parsed and checked.
//!
//! Argument and return types are written in libguestfs's generator vocabulary
//! (`String(Device) device`, `OInt blocksize`, `RStructList(lvm_pv)`), which this module turns
//! into the typed model the emitters work from.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// What a string argument means, which decides how it is checked and translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrKind {
    PlainString,
    Device,
    Mountable,
    Pathname,
    DevOrPath,
    MountableOrPath,
    Key,
    Guid,
    Filename,
    FileIn,
    FileOut,
}

impl StrKind {
    fn parse(s: &str) -> Option<StrKind> {
        Some(match s {
            "PlainString" => StrKind::PlainString,
            "Device" => StrKind::Device,
            "Mountable" => StrKind::Mountable,
            "Pathname" => StrKind::Pathname,
            "Dev_or_Path" => StrKind::DevOrPath,
            "Mountable_or_Path" => StrKind::MountableOrPath,
            "Key" => StrKind::Key,
            "GUID" => StrKind::Guid,
            "Filename" => StrKind::Filename,
            "FileIn" => StrKind::FileIn,
            "FileOut" => StrKind::FileOut,
            _ => return None,
        })
    }

    /// The variant name of the runtime `StrKind` enum.
    pub fn rust(self) -> &'static str {
        match self {
            StrKind::PlainString => "PlainString",
            StrKind::Device => "Device",
            StrKind::Mountable => "Mountable",
            StrKind::Pathname => "Pathname",
            StrKind::DevOrPath => "DevOrPath",
            StrKind::MountableOrPath => "MountableOrPath",
            StrKind::Key => "Key",
            StrKind::Guid => "Guid",
            StrKind::Filename => "Filename",
            StrKind::FileIn => "FileIn",
            StrKind::FileOut => "FileOut",
        }
    }
}

/// A required argument's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgType {
    Str(StrKind),
    OptString,
    StringList(StrKind),
    Bool,
    Int,
    Int64,
    BufferIn,
    /// A C pointer (`virDomainPtr`): library-only, never on the wire.
    Pointer(String),
}

/// An optional argument's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptType {
    Bool,
    Int,
    Int64,
    String,
    StringList,
}

/// What a returned string means: device names are translated back by the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetStr {
    PlainString,
    Device,
    Mountable,
}

impl RetStr {
    fn parse(s: &str) -> Option<RetStr> {
        Some(match s {
            "RPlainString" => RetStr::PlainString,
            "RDevice" => RetStr::Device,
            "RMountable" => RetStr::Mountable,
            _ => return None,
        })
    }
    pub fn rust(self) -> &'static str {
        match self {
            RetStr::PlainString => "PlainString",
            RetStr::Device => "Device",
            RetStr::Mountable => "Mountable",
        }
    }
    /// True when the daemon translates it back to a `/dev/sdX` name.
    pub fn is_device(self) -> bool {
        self != RetStr::PlainString
    }
}

/// A return type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ret {
    Err,
    Int,
    Int64,
    Bool,
    ConstString,
    ConstOptString,
    String(RetStr),
    StringList(RetStr),
    Hashtable(RetStr, RetStr),
    Struct(String),
    StructList(String),
    BufferOut,
}

/// A struct field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Buffer,
    Uuid,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Bytes,
    Char,
    OptPercent,
}

impl FieldType {
    fn parse(s: &str) -> Option<FieldType> {
        Some(match s {
            "FString" => FieldType::String,
            "FBuffer" => FieldType::Buffer,
            "FUUID" => FieldType::Uuid,
            "FInt32" => FieldType::Int32,
            "FUInt32" => FieldType::UInt32,
            "FInt64" => FieldType::Int64,
            "FUInt64" => FieldType::UInt64,
            "FBytes" => FieldType::Bytes,
            "FChar" => FieldType::Char,
            "FOptPercent" => FieldType::OptPercent,
            _ => return None,
        })
    }
}

/// Who may see an action (libguestfs's visibility).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    PublicNoFish,
    Debug,
    Internal,
    StateTest,
    BindTest,
}

/// One action of the API.
#[derive(Debug, Clone)]
pub struct Call {
    pub name: String,
    pub family: String,
    /// The procedure number of a daemon call; None for library-side calls.
    pub proc_nr: Option<u32>,
    pub visibility: Visibility,
    pub args: Vec<(String, ArgType)>,
    pub optargs: Vec<(String, OptType)>,
    pub ret: Ret,
    pub group: Option<String>,
    /// Deprecated, with no replacement when `deprecated_by` is None.
    pub deprecated: bool,
    pub deprecated_by: Option<String>,
    pub fish_alias: Vec<String>,
    pub fish_output: Option<String>,
    pub c_aliases: Vec<String>,
    pub once_had_no_optargs: bool,
    pub blocking: bool,
    pub progress: bool,
    pub cancellable: bool,
    pub config_only: bool,
    pub protocol_limit_warning: bool,
    /// A daemon call that this library answers itself (over other daemon calls) rather than
    /// forwarding to the backend.
    pub library_answers: bool,
    pub added: String,
    pub summary: String,
    pub description: String,
}

impl Call {
    pub fn is_daemon(&self) -> bool {
        self.proc_nr.is_some()
    }
    /// Whether guestfish has it as a command.
    pub fn in_guestfish(&self) -> bool {
        matches!(self.visibility, Visibility::Public | Visibility::Debug)
            && !self
                .args
                .iter()
                .any(|(_, t)| matches!(t, ArgType::Pointer(_)))
    }
    /// The required arguments that travel in the message body (not FileIn/FileOut).
    pub fn wire_args(&self) -> impl Iterator<Item = &(String, ArgType)> {
        self.args.iter().filter(|(_, t)| {
            !matches!(
                t,
                ArgType::Str(StrKind::FileIn) | ArgType::Str(StrKind::FileOut)
            )
        })
    }
    pub fn has_filein(&self) -> bool {
        self.args
            .iter()
            .any(|(_, t)| *t == ArgType::Str(StrKind::FileIn))
    }
    pub fn has_fileout(&self) -> bool {
        self.args
            .iter()
            .any(|(_, t)| *t == ArgType::Str(StrKind::FileOut))
    }
}

/// A struct returned by calls.
#[derive(Debug, Clone)]
pub struct Struct {
    pub name: String,
    pub fields: Vec<(String, FieldType)>,
}

/// A family of calls: one file of `api/calls/`, one backend trait.
#[derive(Debug, Clone)]
pub struct Family {
    pub name: String,
    pub doc: String,
}

/// The whole API.
#[derive(Debug, Clone)]
pub struct Api {
    /// Sorted by name.
    pub calls: Vec<Call>,
    pub structs: Vec<Struct>,
    pub families: Vec<Family>,
}

impl Api {
    pub fn call(&self, name: &str) -> Option<&Call> {
        self.calls.iter().find(|c| c.name == name)
    }
    pub fn struct_(&self, name: &str) -> &Struct {
        self.structs
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("api: unknown struct {}", name))
    }
    pub fn daemon_calls(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter().filter(|c| c.is_daemon())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    doc: String,
    #[serde(default)]
    call: Vec<CallDecl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallDecl {
    name: String,
    proc: Option<u32>,
    visibility: Option<String>,
    args: Option<String>,
    optargs: Option<String>,
    ret: String,
    group: Option<String>,
    #[serde(default)]
    deprecated: bool,
    deprecated_by: Option<String>,
    #[serde(default)]
    fish_alias: Vec<String>,
    fish_output: Option<String>,
    #[serde(default)]
    c_aliases: Vec<String>,
    #[serde(default)]
    once_had_no_optargs: bool,
    blocking: Option<bool>,
    #[serde(default)]
    progress: bool,
    #[serde(default)]
    cancellable: bool,
    #[serde(default)]
    config_only: bool,
    #[serde(default)]
    protocol_limit_warning: bool,
    #[serde(default)]
    library_answers: bool,
    added: String,
    summary: String,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StructFile {
    #[serde(rename = "struct")]
    structs: Vec<StructDecl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StructDecl {
    name: String,
    fields: Vec<String>,
}

fn split_list(s: &Option<String>) -> Vec<&str> {
    match s {
        None => Vec::new(),
        Some(s) => s
            .split(';')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect(),
    }
}

/// `Kind(Inner) name` → ("Kind", Some("Inner"), "name").
fn split_typed(decl: &str) -> (&str, Option<&str>, &str) {
    let (ty, name) = decl
        .rsplit_once(' ')
        .unwrap_or_else(|| panic!("api: `{}` needs a type and a name", decl));
    match ty.split_once('(') {
        Some((k, rest)) => (k, Some(rest.trim_end_matches(')')), name),
        None => (ty, None, name),
    }
}

fn parse_arg(call: &str, decl: &str) -> (String, ArgType) {
    let (kind, inner, name) = split_typed(decl);
    let str_kind = |i: Option<&str>| {
        i.and_then(StrKind::parse)
            .unwrap_or_else(|| panic!("api: {}: bad string kind in `{}`", call, decl))
    };
    let t = match kind {
        "String" => ArgType::Str(str_kind(inner)),
        "StringList" => ArgType::StringList(str_kind(inner)),
        "OptString" => ArgType::OptString,
        "Bool" => ArgType::Bool,
        "Int" => ArgType::Int,
        "Int64" => ArgType::Int64,
        "BufferIn" => ArgType::BufferIn,
        "Pointer" => ArgType::Pointer(inner.unwrap_or("void *").to_string()),
        _ => panic!("api: {}: unknown argument type in `{}`", call, decl),
    };
    (name.to_string(), t)
}

fn parse_optarg(call: &str, decl: &str) -> (String, OptType) {
    let (kind, _, name) = split_typed(decl);
    let t = match kind {
        "OBool" => OptType::Bool,
        "OInt" => OptType::Int,
        "OInt64" => OptType::Int64,
        "OString" => OptType::String,
        "OStringList" => OptType::StringList,
        _ => panic!(
            "api: {}: unknown optional argument type in `{}`",
            call, decl
        ),
    };
    (name.to_string(), t)
}

fn parse_ret(call: &str, s: &str) -> Ret {
    let (kind, inner) = match s.split_once('(') {
        Some((k, rest)) => (k, Some(rest.trim_end_matches(')'))),
        None => (s, None),
    };
    let rs = |x: &str| {
        RetStr::parse(x.trim()).unwrap_or_else(|| panic!("api: {}: bad return `{}`", call, s))
    };
    match (kind, inner) {
        ("RErr", None) => Ret::Err,
        ("RInt", None) => Ret::Int,
        ("RInt64", None) => Ret::Int64,
        ("RBool", None) => Ret::Bool,
        ("RConstString", None) => Ret::ConstString,
        ("RConstOptString", None) => Ret::ConstOptString,
        ("RBufferOut", None) => Ret::BufferOut,
        ("RString", Some(i)) => Ret::String(rs(i)),
        ("RStringList", Some(i)) => Ret::StringList(rs(i)),
        ("RHashtable", Some(i)) => {
            let (k, v) = i
                .split_once(',')
                .unwrap_or_else(|| panic!("api: {}: bad hashtable `{}`", call, s));
            Ret::Hashtable(rs(k), rs(v))
        }
        ("RStruct", Some(i)) => Ret::Struct(i.to_string()),
        ("RStructList", Some(i)) => Ret::StructList(i.to_string()),
        _ => panic!("api: {}: unknown return type `{}`", call, s),
    }
}

fn parse_visibility(call: &str, v: Option<&str>) -> Visibility {
    match v.unwrap_or("public") {
        "public" => Visibility::Public,
        "public_nofish" => Visibility::PublicNoFish,
        "debug" => Visibility::Debug,
        "internal" => Visibility::Internal,
        "state_test" => Visibility::StateTest,
        "bindtest" => Visibility::BindTest,
        other => panic!("api: {}: unknown visibility {}", call, other),
    }
}

/// Parses the declaration: `families` is (family name, file text) for each `api/calls/*.toml`,
/// `structs` the text of `api/structs.toml`. Panics (a build error) on any inconsistency.
pub fn parse(families: &[(&str, &str)], structs: &str) -> Api {
    let sf: StructFile =
        toml::from_str(structs).unwrap_or_else(|e| panic!("api/structs.toml: {}", e));
    let structs: Vec<Struct> = sf
        .structs
        .into_iter()
        .map(|s| Struct {
            fields: s
                .fields
                .iter()
                .map(|f| {
                    let (t, n) = f
                        .split_once(' ')
                        .unwrap_or_else(|| panic!("api: struct {}: bad field `{}`", s.name, f));
                    let ft = FieldType::parse(t).unwrap_or_else(|| {
                        panic!("api: struct {}: bad field type `{}`", s.name, f)
                    });
                    (n.to_string(), ft)
                })
                .collect(),
            name: s.name,
        })
        .collect();

    let mut calls = Vec::new();
    let mut fams = Vec::new();
    for (fam, text) in families {
        let ff: FamilyFile =
            toml::from_str(text).unwrap_or_else(|e| panic!("api/calls/{}.toml: {}", fam, e));
        fams.push(Family {
            name: fam.to_string(),
            doc: ff.doc,
        });
        for c in ff.call {
            let name = c.name.clone();
            calls.push(Call {
                family: fam.to_string(),
                proc_nr: c.proc,
                visibility: parse_visibility(&name, c.visibility.as_deref()),
                args: split_list(&c.args)
                    .into_iter()
                    .map(|a| parse_arg(&name, a))
                    .collect(),
                optargs: split_list(&c.optargs)
                    .into_iter()
                    .map(|a| parse_optarg(&name, a))
                    .collect(),
                ret: parse_ret(&name, &c.ret),
                group: c.group,
                deprecated: c.deprecated || c.deprecated_by.is_some(),
                deprecated_by: c.deprecated_by,
                fish_alias: c.fish_alias,
                fish_output: c.fish_output,
                c_aliases: c.c_aliases,
                once_had_no_optargs: c.once_had_no_optargs,
                blocking: c.blocking.unwrap_or(true),
                progress: c.progress,
                cancellable: c.cancellable,
                config_only: c.config_only,
                protocol_limit_warning: c.protocol_limit_warning,
                library_answers: c.library_answers,
                added: c.added,
                summary: c.summary,
                description: c.description.trim().to_string(),
                name,
            });
        }
    }
    calls.sort_by(|a, b| a.name.cmp(&b.name));
    let api = Api {
        calls,
        structs,
        families: fams,
    };
    check(&api);
    api
}

/// The rules a declaration must follow.
fn check(api: &Api) {
    let mut names = BTreeSet::new();
    let mut procs = BTreeMap::new();
    for c in &api.calls {
        assert!(
            names.insert(c.name.clone()),
            "api: {} declared twice",
            c.name
        );
        for a in c.c_aliases.iter() {
            assert!(names.insert(a.clone()), "api: alias {} clashes", a);
        }
        if let Some(p) = c.proc_nr {
            if let Some(other) = procs.insert(p, c.name.clone()) {
                panic!("api: {} and {} share procedure number {}", c.name, other, p);
            }
            assert!(
                !matches!(c.ret, Ret::ConstString | Ret::ConstOptString),
                "api: daemon call {} cannot return a constant string",
                c.name
            );
            assert!(
                !c.args.iter().any(|(_, t)| matches!(t, ArgType::Pointer(_))),
                "api: daemon call {} cannot take a pointer",
                c.name
            );
        } else {
            assert!(
                !c.library_answers,
                "api: {}: library_answers is for daemon calls",
                c.name
            );
        }
        assert!(
            c.optargs.len() <= 63,
            "api: {} has more than 63 optional arguments",
            c.name
        );
        match &c.ret {
            Ret::Struct(s) | Ret::StructList(s) => {
                api.struct_(s);
            }
            _ => {}
        }
        if let Some(d) = &c.deprecated_by {
            assert!(
                api.calls.iter().any(|x| &x.name == d),
                "api: {} is deprecated by unknown {}",
                c.name,
                d
            );
        }
        assert!(!c.summary.is_empty(), "api: {} has no summary", c.name);
        assert!(
            !c.description.is_empty(),
            "api: {} has no description",
            c.name
        );
        let mut seen = BTreeSet::new();
        for (n, _) in &c.args {
            assert!(
                seen.insert(n.clone()),
                "api: {}: argument {} twice",
                c.name,
                n
            );
        }
        for (n, _) in &c.optargs {
            assert!(
                seen.insert(n.clone()),
                "api: {}: argument {} twice",
                c.name,
                n
            );
        }
    }
}

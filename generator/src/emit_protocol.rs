//! The code of the `guestfs-protocol` crate built from the declaration: the structs with their
//! XDR layouts, the action table, the optional-argument structs, the backend traits by family,
//! the argument checks, the client stubs and the daemon's dispatch.

use crate::model::*;
use crate::names::*;
use std::fmt::Write;

/// `structs.rs`: every struct, its XDR encoding and its field table.
pub fn structs(api: &Api) -> String {
    let mut o = String::new();
    for s in &api.structs {
        let ty = struct_type(&s.name);
        let konst = format!("STRUCT_{}", s.name.to_ascii_uppercase());
        let all_copy = s
            .fields
            .iter()
            .all(|(_, t)| !matches!(t, FieldType::String | FieldType::Uuid | FieldType::Buffer));
        let has_float = s.fields.iter().any(|(_, t)| *t == FieldType::OptPercent);
        let mut derives = vec!["Debug", "Clone", "Default", "PartialEq"];
        if all_copy {
            derives.push("Copy");
        }
        if !has_float {
            derives.push("Eq");
        }
        writeln!(o, "/// The `{}` struct of the libguestfs API.", s.name).unwrap();
        writeln!(o, "#[derive({})]", derives.join(", ")).unwrap();
        writeln!(o, "pub struct {} {{", ty).unwrap();
        for (n, t) in &s.fields {
            writeln!(o, "    pub {}: {},", ident(n), field_type(*t)).unwrap();
        }
        writeln!(o, "}}\n").unwrap();

        writeln!(o, "/// The field table of [`{}`].", ty).unwrap();
        writeln!(o, "pub static {}: StructInfo = StructInfo {{", konst).unwrap();
        writeln!(o, "    name: {},", lit(&s.name)).unwrap();
        writeln!(o, "    fields: &[").unwrap();
        for (n, t) in &s.fields {
            writeln!(o, "        ({}, FieldKind::{:?}),", lit(n), t).unwrap();
        }
        writeln!(o, "    ],\n}};\n").unwrap();

        writeln!(o, "impl Xdr for {} {{", ty).unwrap();
        writeln!(o, "    fn encode(&self, w: &mut XdrWriter) {{").unwrap();
        for (n, t) in &s.fields {
            let f = format!("self.{}", ident(n));
            let line = match t {
                FieldType::String => format!("w.string(&{});", f),
                FieldType::Buffer => format!("w.opaque(&{});", f),
                FieldType::Uuid => format!("w.fixed_opaque({}.as_bytes(), UUID_LEN);", f),
                FieldType::Int32 => format!("w.i32({});", f),
                FieldType::UInt32 => format!("w.u32({});", f),
                FieldType::Int64 | FieldType::Bytes => format!("w.i64({});", f),
                FieldType::UInt64 => format!("w.u64({});", f),
                FieldType::Char => format!("w.i32({} as i32);", f),
                FieldType::OptPercent => format!("w.f32({}.unwrap_or(-1.0));", f),
            };
            writeln!(o, "        {}", line).unwrap();
        }
        writeln!(o, "    }}").unwrap();
        writeln!(o, "    fn decode(r: &mut XdrReader) -> Result<Self> {{").unwrap();
        writeln!(o, "        Ok({} {{", ty).unwrap();
        let mut min = 0usize;
        for (n, t) in &s.fields {
            let (expr, size) = match t {
                FieldType::String => ("r.string()?".to_string(), 4),
                FieldType::Buffer => ("r.opaque()?.to_vec()".to_string(), 4),
                FieldType::Uuid => ("uuid_field(r)?".to_string(), 32),
                FieldType::Int32 => ("r.i32()?".to_string(), 4),
                FieldType::UInt32 => ("r.u32()?".to_string(), 4),
                FieldType::Int64 | FieldType::Bytes => ("r.i64()?".to_string(), 8),
                FieldType::UInt64 => ("r.u64()?".to_string(), 8),
                FieldType::Char => ("char_field(r)?".to_string(), 4),
                FieldType::OptPercent => ("percent_field(r)?".to_string(), 4),
            };
            min += size;
            writeln!(o, "            {}: {},", ident(n), expr).unwrap();
        }
        writeln!(o, "        }})\n    }}").unwrap();
        writeln!(o, "    const MIN_SIZE: usize = {};", min.max(1)).unwrap();
        writeln!(o, "}}\n").unwrap();

        writeln!(o, "impl StructFields for {} {{", ty).unwrap();
        writeln!(
            o,
            "    fn info(&self) -> &'static StructInfo {{\n        &{}\n    }}",
            konst
        )
        .unwrap();
        writeln!(
            o,
            "    fn fields(&self) -> Vec<Field<'_>> {{\n        vec!["
        )
        .unwrap();
        for (n, t) in &s.fields {
            let f = format!("self.{}", ident(n));
            let v = match t {
                FieldType::String => format!("Field::Str(&{})", f),
                FieldType::Uuid => format!("Field::Uuid(&{})", f),
                FieldType::Buffer => format!("Field::Buffer(&{})", f),
                FieldType::Int32 => format!("Field::Int32({})", f),
                FieldType::UInt32 => format!("Field::UInt32({})", f),
                FieldType::Int64 => format!("Field::Int64({})", f),
                FieldType::UInt64 => format!("Field::UInt64({})", f),
                // Printed unsigned, as libguestfs prints FBytes.
                FieldType::Bytes => format!("Field::UInt64({} as u64)", f),
                FieldType::Char => format!("Field::Char({})", f),
                FieldType::OptPercent => format!("Field::OptPercent({})", f),
            };
            writeln!(o, "            {},", v).unwrap();
        }
        writeln!(o, "        ]\n    }}\n}}\n").unwrap();
    }
    writeln!(o, "/// Every struct's field table.").unwrap();
    writeln!(o, "pub static STRUCTS: &[&StructInfo] = &[").unwrap();
    for s in &api.structs {
        writeln!(o, "    &STRUCT_{},", s.name.to_ascii_uppercase()).unwrap();
    }
    writeln!(o, "];").unwrap();
    o
}

fn str_kind(k: StrKind) -> String {
    format!("StrKind::{}", k.rust())
}

fn arg_meta(t: &ArgType) -> String {
    match t {
        ArgType::Str(k) => format!("ArgType::Str({})", str_kind(*k)),
        ArgType::OptString => "ArgType::OptString".into(),
        ArgType::StringList(k) => format!("ArgType::StringList({})", str_kind(*k)),
        ArgType::Bool => "ArgType::Bool".into(),
        ArgType::Int => "ArgType::Int".into(),
        ArgType::Int64 => "ArgType::Int64".into(),
        ArgType::BufferIn => "ArgType::BufferIn".into(),
        ArgType::Pointer(_) => "ArgType::Pointer".into(),
    }
}

fn ret_meta(r: &Ret) -> String {
    match r {
        Ret::Err => "RetType::Err".into(),
        Ret::Int => "RetType::Int".into(),
        Ret::Int64 => "RetType::Int64".into(),
        Ret::Bool => "RetType::Bool".into(),
        Ret::ConstString => "RetType::ConstString".into(),
        Ret::ConstOptString => "RetType::ConstOptString".into(),
        Ret::String(k) => format!("RetType::String(RetStr::{})", k.rust()),
        Ret::StringList(k) => format!("RetType::StringList(RetStr::{})", k.rust()),
        Ret::Hashtable(k, v) => format!(
            "RetType::Hashtable(RetStr::{}, RetStr::{})",
            k.rust(),
            v.rust()
        ),
        Ret::Struct(s) => format!("RetType::Struct(&STRUCT_{})", s.to_ascii_uppercase()),
        Ret::StructList(s) => format!("RetType::StructList(&STRUCT_{})", s.to_ascii_uppercase()),
        Ret::BufferOut => "RetType::BufferOut".into(),
    }
}

fn opt_str(s: &Option<String>) -> String {
    match s {
        Some(s) => format!("Some({})", lit(s)),
        None => "None".into(),
    }
}

fn str_slice(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| lit(s)).collect();
    format!("&[{}]", items.join(", "))
}

/// `actions.rs`: the procedure numbers and the table of every action.
pub fn actions(api: &Api) -> String {
    let mut o = String::new();
    writeln!(o, "/// The procedure number of every daemon call.").unwrap();
    writeln!(o, "pub mod proc_nr {{").unwrap();
    let mut daemon: Vec<&Call> = api.daemon_calls().collect();
    daemon.sort_by_key(|c| c.proc_nr);
    for c in &daemon {
        writeln!(
            o,
            "    pub const {}: i32 = {};",
            proc_const(c),
            c.proc_nr.unwrap()
        )
        .unwrap();
    }
    writeln!(o, "}}\n").unwrap();
    writeln!(o, "/// The highest procedure number in use.").unwrap();
    writeln!(
        o,
        "pub const MAX_PROC_NR: i32 = {};\n",
        daemon.last().and_then(|c| c.proc_nr).unwrap_or(0)
    )
    .unwrap();

    writeln!(o, "/// Every action of the API, sorted by name.").unwrap();
    writeln!(o, "pub static ACTIONS: &[Action] = &[").unwrap();
    for c in &api.calls {
        writeln!(o, "    Action {{").unwrap();
        writeln!(o, "        name: {},", lit(&c.name)).unwrap();
        writeln!(o, "        family: {},", lit(&c.family)).unwrap();
        writeln!(
            o,
            "        proc_nr: {},",
            match c.proc_nr {
                Some(p) => format!("Some({})", p),
                None => "None".into(),
            }
        )
        .unwrap();
        writeln!(o, "        visibility: Visibility::{:?},", c.visibility).unwrap();
        writeln!(o, "        args: &[").unwrap();
        for (n, t) in &c.args {
            writeln!(
                o,
                "            Arg {{ name: {}, ty: {} }},",
                lit(n),
                arg_meta(t)
            )
            .unwrap();
        }
        writeln!(o, "        ],").unwrap();
        writeln!(o, "        optargs: &[").unwrap();
        for (n, t) in &c.optargs {
            writeln!(
                o,
                "            OptArg {{ name: {}, ty: OptArgType::{:?} }},",
                lit(n),
                t
            )
            .unwrap();
        }
        writeln!(o, "        ],").unwrap();
        writeln!(o, "        ret: {},", ret_meta(&c.ret)).unwrap();
        writeln!(o, "        group: {},", opt_str(&c.group)).unwrap();
        writeln!(o, "        deprecated: {},", c.deprecated).unwrap();
        writeln!(o, "        deprecated_by: {},", opt_str(&c.deprecated_by)).unwrap();
        writeln!(o, "        fish_alias: {},", str_slice(&c.fish_alias)).unwrap();
        writeln!(
            o,
            "        fish_output: FishOutput::{},",
            match c.fish_output.as_deref() {
                Some("octal") => "Octal",
                Some("hex") => "Hex",
                None => "Normal",
                Some(other) => panic!("api: {}: unknown fish_output {}", c.name, other),
            }
        )
        .unwrap();
        writeln!(o, "        c_aliases: {},", str_slice(&c.c_aliases)).unwrap();
        writeln!(o, "        once_had_no_optargs: {},", c.once_had_no_optargs).unwrap();
        writeln!(o, "        blocking: {},", c.blocking).unwrap();
        writeln!(o, "        progress: {},", c.progress).unwrap();
        writeln!(o, "        cancellable: {},", c.cancellable).unwrap();
        writeln!(o, "        config_only: {},", c.config_only).unwrap();
        writeln!(
            o,
            "        protocol_limit_warning: {},",
            c.protocol_limit_warning
        )
        .unwrap();
        writeln!(o, "        library_answers: {},", c.library_answers).unwrap();
        writeln!(o, "        added: {},", lit(&c.added)).unwrap();
        writeln!(o, "        summary: {},", lit(&c.summary)).unwrap();
        writeln!(o, "        description: {},", lit(&c.description)).unwrap();
        writeln!(o, "    }},").unwrap();
    }
    writeln!(o, "];\n").unwrap();

    writeln!(o, "/// The families of calls, each with what it covers.").unwrap();
    writeln!(o, "pub static FAMILIES: &[(&str, &str)] = &[").unwrap();
    for f in &api.families {
        writeln!(o, "    ({}, {}),", lit(&f.name), lit(&f.doc)).unwrap();
    }
    writeln!(o, "];\n").unwrap();

    writeln!(o, "/// The action a daemon procedure number belongs to.").unwrap();
    writeln!(
        o,
        "pub fn daemon_action(proc_nr: i32) -> Option<&'static Action> {{"
    )
    .unwrap();
    writeln!(o, "    let index = match proc_nr {{").unwrap();
    for c in &daemon {
        let i = api.calls.iter().position(|x| x.name == c.name).unwrap();
        writeln!(o, "        {} => {},", c.proc_nr.unwrap(), i).unwrap();
    }
    writeln!(
        o,
        "        _ => return None,\n    }};\n    ACTIONS.get(index)\n}}"
    )
    .unwrap();
    o
}

/// The trait-method parameter list of a daemon call (without `&mut self`).
fn trait_params(c: &Call) -> String {
    let mut p: Vec<String> = c
        .args
        .iter()
        .map(|(n, t)| format!("{}: {}", ident(n), trait_arg_type(t)))
        .collect();
    if !c.optargs.is_empty() {
        p.push(format!("opts: &{}", opts_type(c)));
    }
    p.join(", ")
}

fn arg_names(c: &Call) -> Vec<String> {
    let mut v: Vec<String> = c.args.iter().map(|(n, _)| ident(n)).collect();
    if !c.optargs.is_empty() {
        v.push("opts".into());
    }
    v
}

/// `calls.rs`: optional-argument structs, the backend traits and the checked entry points.
pub fn calls(api: &Api) -> String {
    let mut o = String::new();
    for c in &api.calls {
        if c.optargs.is_empty() {
            continue;
        }
        let ty = opts_type(c);
        writeln!(
            o,
            "/// The optional arguments of `{}`; `None` means not given.",
            c.name
        )
        .unwrap();
        writeln!(o, "#[derive(Debug, Clone, Default, PartialEq, Eq)]").unwrap();
        writeln!(o, "pub struct {} {{", ty).unwrap();
        for (n, t) in &c.optargs {
            writeln!(o, "    pub {}: {},", ident(n), opt_field_type(*t)).unwrap();
        }
        writeln!(o, "}}\n").unwrap();
        writeln!(o, "impl {} {{", ty).unwrap();
        writeln!(
            o,
            "    /// The header's optargs bitmask: bit i for the i-th optional argument given."
        )
        .unwrap();
        writeln!(
            o,
            "    pub fn bitmask(&self) -> u64 {{\n        let mut m = 0u64;"
        )
        .unwrap();
        for (i, (n, _)) in c.optargs.iter().enumerate() {
            writeln!(
                o,
                "        if self.{}.is_some() {{\n            m |= 1 << {};\n        }}",
                ident(n),
                i
            )
            .unwrap();
        }
        writeln!(o, "        m\n    }}\n}}\n").unwrap();
    }

    for f in &api.families {
        let calls: Vec<&Call> = api.daemon_calls().filter(|c| c.family == f.name).collect();
        if calls.is_empty() {
            continue;
        }
        writeln!(o, "/// {}", f.doc).unwrap();
        writeln!(o, "///\n/// Every method has a default body that fails with [`Unimplemented::unimplemented`].").unwrap();
        writeln!(o, "#[allow(unused_variables)]").unwrap();
        writeln!(o, "pub trait {}: Unimplemented {{", family_trait(&f.name)).unwrap();
        for c in calls {
            o.push_str(&doc_lines("    ", &c.summary, &c.description));
            writeln!(
                o,
                "    fn {}(&mut self, {}) -> Result<{}> {{\n        Err(self.unimplemented({}))\n    }}",
                c.name,
                trait_params(c),
                ret_type(&c.ret, "crate::"),
                lit(&c.name)
            )
            .unwrap();
        }
        writeln!(o, "}}\n").unwrap();
    }
    let traits: Vec<String> = api
        .families
        .iter()
        .filter(|f| api.daemon_calls().any(|c| c.family == f.name))
        .map(|f| family_trait(&f.name))
        .collect();
    writeln!(o, "/// Every daemon call, all families together.").unwrap();
    writeln!(o, "pub trait DaemonCalls: {} {{}}", traits.join(" + ")).unwrap();
    writeln!(
        o,
        "impl<T: {} + ?Sized> DaemonCalls for T {{}}\n",
        traits.join(" + ")
    )
    .unwrap();

    writeln!(
        o,
        "/// Each daemon call with its arguments checked by kind first (paths absolute, devices"
    )
    .unwrap();
    writeln!(
        o,
        "/// resolved, the root mounted where a path is used) and device names in its result"
    )
    .unwrap();
    writeln!(o, "/// translated back, through [`ArgChecks`]: the daemon and in-process backends call these.").unwrap();
    writeln!(o, "pub mod checked {{").unwrap();
    writeln!(
        o,
        "    #![allow(clippy::too_many_arguments, clippy::needless_borrow)]"
    )
    .unwrap();
    writeln!(o, "    use super::*;").unwrap();
    for c in api.daemon_calls() {
        writeln!(
            o,
            "    pub fn {}<B: DaemonCalls + ArgChecks + ?Sized>(daemon: &mut B, {}) -> Result<{}> {{",
            c.name,
            trait_params(c),
            ret_type(&c.ret, "crate::")
        )
        .unwrap();
        let call = lit(&c.name);
        for (n, t) in &c.args {
            let v = ident(n);
            match t {
                ArgType::Str(StrKind::Pathname) => {
                    writeln!(o, "        daemon.pathname({}, {})?;", call, v).unwrap()
                }
                ArgType::Str(StrKind::Device) => {
                    writeln!(o, "        let {v} = daemon.device({}, {v})?;", call, v = v).unwrap()
                }
                ArgType::Str(StrKind::Mountable) => writeln!(
                    o,
                    "        let {v} = daemon.mountable({}, {v})?;",
                    call,
                    v = v
                )
                .unwrap(),
                ArgType::Str(StrKind::DevOrPath) => writeln!(
                    o,
                    "        let {v} = daemon.dev_or_path({}, {v})?;",
                    call,
                    v = v
                )
                .unwrap(),
                ArgType::Str(StrKind::MountableOrPath) => writeln!(
                    o,
                    "        let {v} = daemon.mountable_or_path({}, {v})?;",
                    call,
                    v = v
                )
                .unwrap(),
                ArgType::StringList(StrKind::Filename) => {
                    writeln!(o, "        daemon.filenames({}, {})?;", call, v).unwrap()
                }
                ArgType::StringList(StrKind::Device) => writeln!(
                    o,
                    "        let {v} = daemon.devices({}, {v})?;",
                    call,
                    v = v
                )
                .unwrap(),
                _ => {}
            }
        }
        if c.args
            .iter()
            .any(|(_, t)| *t == ArgType::Str(StrKind::Pathname))
        {
            writeln!(o, "        daemon.need_root({})?;", call).unwrap();
        }
        let pass: Vec<String> = c
            .args
            .iter()
            .map(|(n, t)| match t {
                ArgType::Str(StrKind::Device)
                | ArgType::Str(StrKind::Mountable)
                | ArgType::Str(StrKind::DevOrPath)
                | ArgType::Str(StrKind::MountableOrPath)
                | ArgType::StringList(StrKind::Device) => format!("&{}", ident(n)),
                _ => ident(n),
            })
            .chain(if c.optargs.is_empty() {
                None
            } else {
                Some("opts".to_string())
            })
            .collect();
        let invoke = format!("daemon.{}({})", c.name, pass.join(", "));
        match &c.ret {
            Ret::String(k) if k.is_device() => {
                writeln!(o, "        let r = {}?;\n        Ok(daemon.reverse_device(r))", invoke).unwrap()
            }
            Ret::StringList(k) if k.is_device() => writeln!(
                o,
                "        let r = {}?;\n        Ok(r.into_iter().map(|s| daemon.reverse_device(s)).collect())",
                invoke
            )
            .unwrap(),
            Ret::Hashtable(k, v) if k.is_device() || v.is_device() => writeln!(
                o,
                "        let r = {}?;\n        Ok(r.into_iter().map(|(k, v)| ({}, {})).collect())",
                invoke,
                if k.is_device() { "daemon.reverse_device(k)" } else { "k" },
                if v.is_device() { "daemon.reverse_device(v)" } else { "v" },
            )
            .unwrap(),
            _ => writeln!(o, "        {}", invoke).unwrap(),
        }
        writeln!(o, "    }}").unwrap();
    }
    writeln!(o, "}}").unwrap();
    o
}

fn encode_arg(o: &mut String, name: &str, t: &ArgType) {
    let v = ident(name);
    let line = match t {
        ArgType::Str(StrKind::FileIn) | ArgType::Str(StrKind::FileOut) | ArgType::Pointer(_) => {
            return
        }
        ArgType::Str(_) => format!("w.string({});", v),
        ArgType::OptString => format!("w.opt_string({});", v),
        ArgType::StringList(_) => format!("w.string_list({});", v),
        ArgType::Bool => format!("w.bool({});", v),
        ArgType::Int => format!("w.i32({});", v),
        ArgType::Int64 => format!("w.i64({});", v),
        ArgType::BufferIn => format!("w.opaque({});", v),
    };
    writeln!(o, "        {}", line).unwrap();
}

fn encode_optarg(o: &mut String, name: &str, t: OptType) {
    let f = format!("opts.{}", ident(name));
    let line = match t {
        OptType::Bool => format!("w.bool({}.unwrap_or(false));", f),
        OptType::Int => format!("w.i32({}.unwrap_or(0));", f),
        OptType::Int64 => format!("w.i64({}.unwrap_or(0));", f),
        OptType::String => format!("w.string({}.as_deref().unwrap_or(\"\"));", f),
        OptType::StringList => format!("w.string_list({}.as_deref().unwrap_or(&[]));", f),
    };
    writeln!(o, "        {}", line).unwrap();
}

fn decode_ret(r: &Ret) -> String {
    match r {
        Ret::Err => "()".into(),
        Ret::Int => "r.i32()?".into(),
        Ret::Int64 => "r.i64()?".into(),
        Ret::Bool => "r.bool()?".into(),
        Ret::String(_) => "r.string()?".into(),
        Ret::StringList(_) => "r.string_list()?".into(),
        Ret::Hashtable(_, _) => "r.hashtable()?".into(),
        Ret::Struct(s) => format!("crate::{}::decode(&mut r)?", struct_type(s)),
        Ret::StructList(s) => format!("decode_list::<crate::{}>(&mut r)?", struct_type(s)),
        Ret::BufferOut => "r.opaque()?.to_vec()".into(),
        Ret::ConstString | Ret::ConstOptString => unreachable!("checked: not a daemon return"),
    }
}

fn encode_ret(r: &Ret) -> &'static str {
    match r {
        Ret::Err => unreachable!("no reply body"),
        Ret::Int => "w.i32(ret);",
        Ret::Int64 => "w.i64(ret);",
        Ret::Bool => "w.bool(ret);",
        Ret::String(_) => "w.string(&ret);",
        Ret::StringList(_) => "w.string_list(&ret);",
        Ret::Hashtable(_, _) => "ret.encode(&mut w);",
        Ret::Struct(_) => "ret.encode(&mut w);",
        Ret::StructList(_) => "encode_list(&mut w, &ret);",
        Ret::BufferOut => "w.opaque(&ret);",
        Ret::ConstString | Ret::ConstOptString => unreachable!(),
    }
}

/// `client.rs`: every daemon call as a remote procedure call over a [`Transport`].
pub fn client(api: &Api) -> String {
    let mut o = String::new();
    for f in &api.families {
        let calls: Vec<&Call> = api.daemon_calls().filter(|c| c.family == f.name).collect();
        if calls.is_empty() {
            continue;
        }
        writeln!(
            o,
            "impl<T: Transport> {} for RemoteDaemon<T> {{",
            family_trait(&f.name)
        )
        .unwrap();
        for c in calls {
            assert!(
                !c.has_fileout() || c.ret == Ret::Err,
                "api: FileOut call {} must return RErr",
                c.name
            );
            writeln!(
                o,
                "    fn {}(&mut self, {}) -> Result<{}> {{",
                c.name,
                trait_params(c),
                ret_type(&c.ret, "crate::")
            )
            .unwrap();
            writeln!(
                o,
                "        #[allow(unused_mut)]\n        let mut w = XdrWriter::new();"
            )
            .unwrap();
            for (n, t) in &c.args {
                encode_arg(&mut o, n, t);
            }
            for (n, t) in &c.optargs {
                encode_optarg(&mut o, n, *t);
            }
            let file_in = c
                .args
                .iter()
                .find(|(_, t)| *t == ArgType::Str(StrKind::FileIn))
                .map(|(n, _)| format!("Some({})", ident(n)))
                .unwrap_or_else(|| "None".into());
            let file_out = c
                .args
                .iter()
                .find(|(_, t)| *t == ArgType::Str(StrKind::FileOut))
                .map(|(n, _)| format!("Some({})", ident(n)))
                .unwrap_or_else(|| "None".into());
            writeln!(
                o,
                "        let reply = self.transport.call(Request {{\n            name: {},\n            proc_nr: proc_nr::{},\n            optargs_bitmask: {},\n            body: w.buf,\n            file_in: {},\n            file_out: {},\n        }})?;",
                lit(&c.name),
                proc_const(c),
                if c.optargs.is_empty() { "0".to_string() } else { "opts.bitmask()".to_string() },
                file_in,
                file_out
            )
            .unwrap();
            if c.ret == Ret::Err {
                writeln!(o, "        let _ = reply;\n        Ok(())").unwrap();
            } else {
                writeln!(o, "        let mut r = XdrReader::new(&reply);").unwrap();
                writeln!(o, "        let v = {};", decode_ret(&c.ret)).unwrap();
                writeln!(o, "        Ok(v)").unwrap();
            }
            writeln!(o, "    }}").unwrap();
        }
        writeln!(o, "}}\n").unwrap();
    }
    o
}

fn decode_arg(o: &mut String, name: &str, t: &ArgType) {
    let v = ident(name);
    let expr = match t {
        ArgType::Str(StrKind::FileIn) | ArgType::Str(StrKind::FileOut) | ArgType::Pointer(_) => {
            return
        }
        ArgType::Str(_) => "r.string()",
        ArgType::OptString => "r.opt_string()",
        ArgType::StringList(_) => "r.string_list()",
        ArgType::Bool => "r.bool()",
        ArgType::Int => "r.i32()",
        ArgType::Int64 => "r.i64()",
        ArgType::BufferIn => "r.opaque().map(|b| b.to_vec())",
    };
    writeln!(
        o,
        "            let {} = {}.map_err(|_| bad_arguments())?;",
        v, expr
    )
    .unwrap();
}

fn decode_optarg(o: &mut String, i: usize, name: &str, t: OptType) {
    let expr = match t {
        OptType::Bool => "r.bool()",
        OptType::Int => "r.i32()",
        OptType::Int64 => "r.i64()",
        OptType::String => "r.string()",
        OptType::StringList => "r.string_list()",
    };
    writeln!(
        o,
        "            let v = {}.map_err(|_| bad_arguments())?;\n            opts.{} = (bitmask & (1 << {}) != 0).then_some(v);",
        expr,
        ident(name),
        i
    )
    .unwrap();
}

/// `server.rs`: the daemon's dispatch of every call, as 1.48's generated stubs order it.
pub fn server(api: &Api) -> String {
    let mut o = String::new();
    writeln!(
        o,
        "/// Decodes the arguments of call `proc_nr`, checks them, runs the call on `s` and"
    )
    .unwrap();
    writeln!(
        o,
        "/// returns the encoded reply body. FileIn/FileOut data goes through `files`."
    )
    .unwrap();
    writeln!(o, "#[allow(clippy::needless_borrow)]").unwrap();
    writeln!(
        o,
        "pub fn dispatch<S: DaemonCalls + ArgChecks + FeatureGroups + ?Sized>(s: &mut S, proc_nr: i32, bitmask: u64, body: &[u8], file_channel: &mut dyn FileChannel) -> Result<Vec<u8>> {{"
    )
    .unwrap();
    writeln!(o, "    let _ = &file_channel;").unwrap();
    writeln!(
        o,
        "    #[allow(unused_mut, unused_variables)]\n    let mut r = XdrReader::new(body);"
    )
    .unwrap();
    writeln!(o, "    match proc_nr {{").unwrap();
    for c in api.daemon_calls() {
        writeln!(o, "        proc_nr::{} => {{", proc_const(c)).unwrap();
        if let Some(g) = &c.group {
            writeln!(o, "            s.require_group({})?;", lit(g)).unwrap();
        }
        writeln!(
            o,
            "            check_bitmask(bitmask, {})?;",
            c.optargs.len()
        )
        .unwrap();
        for (n, t) in &c.args {
            decode_arg(&mut o, n, t);
        }
        if !c.optargs.is_empty() {
            writeln!(o, "            let mut opts = {}::default();", opts_type(c)).unwrap();
            for (i, (n, t)) in c.optargs.iter().enumerate() {
                decode_optarg(&mut o, i, n, *t);
            }
        }
        let pass: Vec<String> = c
            .args
            .iter()
            .map(|(n, t)| match t {
                ArgType::Str(StrKind::FileIn) => "&mut file_channel.receive()".to_string(),
                ArgType::Str(StrKind::FileOut) => "file_channel.send()".to_string(),
                ArgType::OptString => format!("{}.as_deref()", ident(n)),
                _ => format!("&{}", ident(n)),
            })
            .map(|s| s.replace("&&", "&"))
            .chain(if c.optargs.is_empty() {
                None
            } else {
                Some("&opts".to_string())
            })
            .collect();
        // Bool/Int/Int64 are passed by value.
        let pass: Vec<String> = pass
            .into_iter()
            .zip(c.args.iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(p, a)| match a {
                Some((n, ArgType::Bool | ArgType::Int | ArgType::Int64)) => ident(n),
                _ => p,
            })
            .collect();
        let call = format!("checked::{}(s, {})?", c.name, pass.join(", "));
        if c.ret == Ret::Err {
            writeln!(o, "            {};\n            Ok(Vec::new())", call).unwrap();
        } else {
            writeln!(o, "            let ret = {};", call).unwrap();
            writeln!(o, "            let mut w = XdrWriter::new();").unwrap();
            writeln!(o, "            {}", encode_ret(&c.ret)).unwrap();
            writeln!(o, "            Ok(w.buf)").unwrap();
        }
        writeln!(o, "        }}").unwrap();
    }
    writeln!(
        o,
        "        _ => Err(unknown_procedure(proc_nr)),\n    }}\n}}"
    )
    .unwrap();
    let _ = arg_names;
    o
}

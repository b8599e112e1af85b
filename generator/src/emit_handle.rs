//! The code of the core library built from the declaration: one `Handle` method per action
//! (state checks, argument validity, the `trace` lines, the backend or library call, error
//! reporting), streaming variants of the file-transfer calls, and `call_dynamic`, which runs
//! any action from dynamically typed values (guestfish, remote control).

use crate::model::*;
use crate::names::*;
use std::fmt::Write;

fn handle_params(c: &Call) -> String {
    let mut p: Vec<String> = c
        .args
        .iter()
        .map(|(n, t)| format!("{}: {}", ident(n), handle_arg_type(t)))
        .collect();
    if !c.optargs.is_empty() {
        p.push(format!("opts: {}", opts_type(c)));
    }
    p.join(", ")
}

fn trace_args(o: &mut String, c: &Call, stream_name: Option<&str>) {
    writeln!(o, "        if traced {{").unwrap();
    writeln!(
        o,
        "            let mut trace_line = TraceLine::new({});",
        lit(&c.name)
    )
    .unwrap();
    for (n, t) in &c.args {
        let v = ident(n);
        let line = match t {
            ArgType::Str(StrKind::Key) => "trace_line.key();".to_string(),
            ArgType::Str(StrKind::FileIn) | ArgType::Str(StrKind::FileOut)
                if stream_name == Some(n.as_str()) =>
            {
                "trace_line.stream();".to_string()
            }
            ArgType::Str(_) => format!("trace_line.string({});", v),
            ArgType::OptString => format!("trace_line.opt_string({});", v),
            ArgType::StringList(_) => format!("trace_line.string_list({});", v),
            ArgType::Bool => format!("trace_line.bool({});", v),
            ArgType::Int => format!("trace_line.int({} as i64);", v),
            ArgType::Int64 => format!("trace_line.int({});", v),
            ArgType::BufferIn => format!("trace_line.buffer({});", v),
            ArgType::Pointer(ty) => format!("trace_line.pointer({}, {});", lit(ty), v),
        };
        writeln!(o, "            {}", line).unwrap();
    }
    for (n, t) in &c.optargs {
        let f = format!("opts.{}", ident(n));
        let line = match t {
            OptType::Bool => format!("trace_line.opt_bool({}, {});", lit(n), f),
            OptType::Int => format!("trace_line.opt_int({}, {}.map(i64::from));", lit(n), f),
            OptType::Int64 => format!("trace_line.opt_int({}, {});", lit(n), f),
            OptType::String => format!("trace_line.opt_str({}, {}.as_deref());", lit(n), f),
            OptType::StringList => format!("trace_line.opt_list({}, {}.as_deref());", lit(n), f),
        };
        writeln!(o, "            {}", line).unwrap();
    }
    writeln!(o, "            self.send_trace(trace_line);\n        }}").unwrap();
}

fn validity(o: &mut String, c: &Call) {
    for (n, t) in &c.args {
        match t {
            ArgType::Str(StrKind::Guid) => writeln!(
                o,
                "        self.check_guid({}, {}, {})?;",
                lit(&c.name),
                lit(n),
                ident(n)
            )
            .unwrap(),
            ArgType::StringList(StrKind::Filename) => writeln!(
                o,
                "        self.check_filenames({}, {}, {})?;",
                lit(&c.name),
                lit(n),
                ident(n)
            )
            .unwrap(),
            _ => {}
        }
    }
}

/// The closure that traces a successful result.
fn trace_ret(r: &Ret) -> String {
    match r {
        Ret::Err => "|t, _| t.ret_int(0)".into(),
        Ret::Int => "|t, v| t.ret_int(*v as i64)".into(),
        Ret::Int64 => "|t, v| t.ret_int(*v)".into(),
        Ret::Bool => "|t, v| t.ret_int(*v as i64)".into(),
        Ret::ConstString | Ret::String(_) => "|t, v| t.ret_string(v)".into(),
        Ret::ConstOptString => "|t, v| t.ret_opt_string(v.as_deref())".into(),
        Ret::StringList(_) => "|t, v| t.ret_string_list(v)".into(),
        Ret::Hashtable(_, _) => "|t, v| t.ret_hashtable(v)".into(),
        Ret::Struct(_) => "|t, v| t.ret_struct(v)".into(),
        Ret::StructList(s) => format!("|t, v| t.ret_struct_list({}, v)", lit(s)),
        Ret::BufferOut => "|t, v| t.ret_buffer(v)".into(),
    }
}

fn call_pass(c: &Call, file_in: &str, file_out: &str) -> String {
    let mut v: Vec<String> = c
        .args
        .iter()
        .map(|(n, t)| match t {
            ArgType::Str(StrKind::FileIn) => file_in.to_string(),
            ArgType::Str(StrKind::FileOut) => file_out.to_string(),
            _ => ident(n),
        })
        .collect();
    if !c.optargs.is_empty() {
        v.push("&opts".into());
    }
    v.join(", ")
}

fn buffer_checks(o: &mut String, c: &Call, indent: &str) {
    for (n, t) in &c.args {
        if *t == ArgType::BufferIn {
            writeln!(o, "{}check_buffer_in({})?;", indent, ident(n)).unwrap();
        }
    }
}

/// Runs a daemon call once the handle is ready: through the backend, or for the calls this
/// library answers itself, through its `impl_` function. Leaves `result`.
fn daemon_body(o: &mut String, c: &Call, file_in: &str, file_out: &str) {
    if c.library_answers {
        let mut pass: Vec<String> = c
            .args
            .iter()
            .map(|(n, t)| match t {
                ArgType::Str(StrKind::FileIn) => file_in.to_string(),
                ArgType::Str(StrKind::FileOut) => file_out.to_string(),
                _ => ident(n),
            })
            .collect();
        if !c.optargs.is_empty() {
            pass.push("&opts".into());
        }
        writeln!(
            o,
            "        let result = self.require_ready(action).and_then(|()| {{"
        )
        .unwrap();
        buffer_checks(o, c, "            ");
        writeln!(o, "            self.impl_{}({})", c.name, pass.join(", ")).unwrap();
        writeln!(o, "        }});").unwrap();
    } else {
        // A file transfer watches for `user_cancel`.
        let transfer = c.has_filein() || c.has_fileout();
        if transfer {
            writeln!(o, "        let cancel = self.begin_transfer();").unwrap();
        }
        writeln!(
            o,
            "        let result = self.with_backend(action, |daemon| {{"
        )
        .unwrap();
        buffer_checks(o, c, "            ");
        if c.has_filein() {
            let value = file_in.strip_prefix("&mut ").unwrap_or(file_in);
            writeln!(o, "            let mut plain_in = {};", value).unwrap();
            writeln!(
                o,
                "            let mut guarded_in = Cancellable::new(&mut plain_in, &cancel);"
            )
            .unwrap();
        }
        writeln!(
            o,
            "            checked::{}(daemon, {})",
            c.name,
            call_pass(
                c,
                "&mut guarded_in.file_in()",
                &format!("&mut Cancellable::new({}, &cancel)", file_out)
            )
        )
        .unwrap();
        writeln!(o, "        }});").unwrap();
        if transfer {
            writeln!(
                o,
                "        let result = self.finish_transfer(result, &cancel);"
            )
            .unwrap();
        }
    }
}

fn doc(c: &Call) -> String {
    doc_lines("    ", &c.summary, &c.description)
}

/// `handle_calls.rs`: the `Handle` method of every action.
pub fn handle(api: &Api) -> String {
    let mut o = String::new();
    writeln!(o, "#[allow(clippy::too_many_arguments, clippy::needless_borrow, clippy::let_unit_value, unused_mut)]").unwrap();
    writeln!(o, "impl Handle {{").unwrap();
    for (idx, c) in api.calls.iter().enumerate() {
        let ret = ret_type(&c.ret, "");
        o.push_str(&doc(c));
        writeln!(
            o,
            "    pub fn {}(&mut self, {}) -> Result<{}> {{",
            c.name,
            handle_params(c),
            ret
        )
        .unwrap();
        writeln!(o, "        let action = &ACTIONS[{}];", idx).unwrap();
        writeln!(o, "        let traced = self.enter_call(action)?;").unwrap();
        validity(&mut o, c);
        trace_args(&mut o, c, None);
        if c.is_daemon() {
            let file_in = c
                .args
                .iter()
                .find(|(_, t)| *t == ArgType::Str(StrKind::FileIn));
            let file_out = c
                .args
                .iter()
                .find(|(_, t)| *t == ArgType::Str(StrKind::FileOut));
            if let Some((n, _)) = file_in {
                writeln!(
                    o,
                    "        let mut local_in = match LocalIn::open_in({}) {{\n            Ok(f) => f,\n            Err(e) => return self.fail_local(action, traced, e),\n        }};",
                    ident(n)
                )
                .unwrap();
            }
            if let Some((n, _)) = file_out {
                writeln!(
                    o,
                    "        let mut local_out = match LocalOut::open_out({}) {{\n            Ok(f) => f,\n            Err(e) => return self.fail_local(action, traced, e),\n        }};",
                    ident(n)
                )
                .unwrap();
            }
            daemon_body(&mut o, c, "&mut local_in.file_in()", "&mut local_out");
            if file_out.is_some() {
                writeln!(o, "        if let Err(e) = local_out.finish_after(&result) {{\n            return self.fail_local(action, traced, e);\n        }}").unwrap();
            }
            writeln!(
                o,
                "        self.leave_call(action, traced, result, {})",
                trace_ret(&c.ret)
            )
            .unwrap();
        } else {
            let mut pass: Vec<String> = c.args.iter().map(|(n, _)| ident(n)).collect();
            if !c.optargs.is_empty() {
                pass.push("opts".into());
            }
            writeln!(
                o,
                "        let result = self.impl_{}({});",
                c.name,
                pass.join(", ")
            )
            .unwrap();
            writeln!(
                o,
                "        self.leave_call(action, traced, result, {})",
                trace_ret(&c.ret)
            )
            .unwrap();
        }
        writeln!(o, "    }}\n").unwrap();

        // Aliases under the names C programs know (`add_drive_opts`, `mkfs_opts`, …).
        for a in &c.c_aliases {
            writeln!(
                o,
                "    /// The same as [`Handle::{}`] (libguestfs's C name).",
                c.name
            )
            .unwrap();
            let mut pass: Vec<String> = c.args.iter().map(|(n, _)| ident(n)).collect();
            if !c.optargs.is_empty() {
                pass.push("opts".into());
            }
            writeln!(
                o,
                "    pub fn {}(&mut self, {}) -> Result<{}> {{\n        self.{}({})\n    }}\n",
                a,
                handle_params(c),
                ret,
                c.name,
                pass.join(", ")
            )
            .unwrap();
        }

        // Streaming variants of the daemon's file transfers.
        if c.is_daemon() && (c.has_filein() || c.has_fileout()) {
            let (suffix, kind, ty) = if c.has_filein() {
                ("from", StrKind::FileIn, "&mut dyn std::io::Read")
            } else {
                ("to", StrKind::FileOut, "&mut dyn std::io::Write")
            };
            let stream = c
                .args
                .iter()
                .find(|(_, t)| *t == ArgType::Str(kind))
                .map(|(n, _)| n.clone())
                .unwrap();
            let mut params: Vec<String> = c
                .args
                .iter()
                .map(|(n, t)| {
                    if *n == stream {
                        format!("{}: {}", ident(n), ty)
                    } else {
                        format!("{}: {}", ident(n), handle_arg_type(t))
                    }
                })
                .collect();
            if !c.optargs.is_empty() {
                params.push(format!("opts: {}", opts_type(c)));
            }
            writeln!(
                o,
                "    /// [`Handle::{}`] with the local side given as a stream instead of a file name.",
                c.name
            )
            .unwrap();
            writeln!(
                o,
                "    pub fn {}_{}(&mut self, {}) -> Result<{}> {{",
                c.name,
                suffix,
                params.join(", "),
                ret
            )
            .unwrap();
            writeln!(o, "        let action = &ACTIONS[{}];", idx).unwrap();
            writeln!(o, "        let traced = self.enter_call(action)?;").unwrap();
            validity(&mut o, c);
            trace_args(&mut o, c, Some(&stream));
            if kind == StrKind::FileIn {
                writeln!(
                    o,
                    "        let mut stream_in = crate::FileIn {{ reader: {}, size_hint: 0 }};",
                    ident(&stream)
                )
                .unwrap();
            }
            daemon_body(&mut o, c, "&mut stream_in", &ident(&stream));
            writeln!(
                o,
                "        self.leave_call(action, traced, result, {})",
                trace_ret(&c.ret)
            )
            .unwrap();
            writeln!(o, "    }}\n").unwrap();
        }
    }
    writeln!(o, "}}\n").unwrap();
    o.push_str(&dynamic(api));
    o
}

fn value_getter(t: &ArgType) -> &'static str {
    match t {
        ArgType::Str(_) => "str_arg",
        ArgType::OptString => "opt_str_arg",
        ArgType::StringList(_) => "list_arg",
        ArgType::Bool => "bool_arg",
        ArgType::Int => "int_arg",
        ArgType::Int64 => "int64_arg",
        ArgType::BufferIn => "buffer_arg",
        ArgType::Pointer(_) => "pointer_arg",
    }
}

fn opt_getter(t: OptType) -> &'static str {
    match t {
        OptType::Bool => "bool_value",
        OptType::Int => "int_value",
        OptType::Int64 => "int64_value",
        OptType::String => "string_value",
        OptType::StringList => "list_value",
    }
}

fn ret_value(r: &Ret) -> &'static str {
    match r {
        Ret::Err => "|()| RetValue::Unit",
        Ret::Int => "|v| RetValue::Int(v as i64)",
        Ret::Int64 => "RetValue::Int",
        Ret::Bool => "RetValue::Bool",
        Ret::ConstString | Ret::String(_) => "RetValue::String",
        Ret::ConstOptString => "RetValue::OptString",
        Ret::StringList(_) => "RetValue::StringList",
        Ret::Hashtable(_, _) => "RetValue::Hashtable",
        Ret::Struct(_) => "|v| RetValue::Struct(Box::new(v))",
        Ret::StructList(_) => {
            "|v| RetValue::StructList(v.into_iter().map(|s| Box::new(s) as Box<dyn StructFields>).collect())"
        }
        Ret::BufferOut => "RetValue::Buffer",
    }
}

/// `Handle::call_dynamic`: any action from [`Value`]s, for guestfish and remote control.
fn dynamic(api: &Api) -> String {
    let mut o = String::new();
    writeln!(o, "#[allow(clippy::field_reassign_with_default)]").unwrap();
    writeln!(o, "impl Handle {{").unwrap();
    writeln!(o, "    /// Runs `action` with required arguments `args` (one [`Value`] each, in order) and the").unwrap();
    writeln!(
        o,
        "    /// optional arguments `optargs` (by index into the action's optional arguments)."
    )
    .unwrap();
    writeln!(
        o,
        "    /// A value of the wrong type is an `EINVAL` error naming the argument."
    )
    .unwrap();
    writeln!(o, "    pub fn call_dynamic(&mut self, action: &'static Action, args: &[Value], optargs: &[(usize, Value)]) -> Result<RetValue> {{").unwrap();
    writeln!(
        o,
        "        let a = DynamicArgs::new(action, args, optargs)?;"
    )
    .unwrap();
    writeln!(o, "        match action.name {{").unwrap();
    for c in &api.calls {
        if c.args.iter().any(|(_, t)| matches!(t, ArgType::Pointer(_))) {
            continue;
        }
        writeln!(o, "            {} => {{", lit(&c.name)).unwrap();
        let mut pass = Vec::new();
        for (i, (n, t)) in c.args.iter().enumerate() {
            writeln!(
                o,
                "                let {} = a.{}({})?;",
                ident(n),
                value_getter(t),
                i
            )
            .unwrap();
            pass.push(match t {
                ArgType::StringList(_) | ArgType::BufferIn => format!("&{}", ident(n)),
                ArgType::OptString => format!("{}.as_deref()", ident(n)),
                _ => ident(n),
            });
        }
        if !c.optargs.is_empty() {
            writeln!(o, "                let opts = {} {{", opts_type(c)).unwrap();
            for (i, (n, t)) in c.optargs.iter().enumerate() {
                writeln!(
                    o,
                    "                    {}: a.{}({})?,",
                    ident(n),
                    opt_getter(*t),
                    i
                )
                .unwrap();
            }
            writeln!(o, "                }};").unwrap();
            pass.push("opts".into());
        }
        writeln!(
            o,
            "                self.{}({}).map({})",
            c.name,
            pass.join(", "),
            ret_value(&c.ret)
        )
        .unwrap();
        writeln!(o, "            }}").unwrap();
    }
    writeln!(o, "            other => Err(Error::new(libc::EINVAL, format!(\"{{}}: cannot be called dynamically\", other))),").unwrap();
    writeln!(o, "        }}\n    }}\n}}").unwrap();
    o
}

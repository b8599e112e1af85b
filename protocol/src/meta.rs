//! What is known about each action and struct at run time: the table guestfish, tracing,
//! `available` and the documentation work from (generated into [`crate::ACTIONS`]).

/// What a string argument means, which decides how it is checked and translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A required argument's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    Str(StrKind),
    OptString,
    StringList(StrKind),
    Bool,
    Int,
    Int64,
    BufferIn,
    /// A C pointer (`virDomainPtr`): not available outside the C API.
    Pointer,
}

/// An optional argument's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptArgType {
    Bool,
    Int,
    Int64,
    String,
    StringList,
}

/// What a returned string means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetStr {
    PlainString,
    Device,
    Mountable,
}

/// A return type.
#[derive(Debug, Clone, Copy)]
pub enum RetType {
    Err,
    Int,
    Int64,
    Bool,
    ConstString,
    ConstOptString,
    String(RetStr),
    StringList(RetStr),
    Hashtable(RetStr, RetStr),
    Struct(&'static StructInfo),
    StructList(&'static StructInfo),
    BufferOut,
}

/// Who sees an action: guestfish has `Public` and `Debug` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    PublicNoFish,
    Debug,
    Internal,
    StateTest,
    BindTest,
}

/// How guestfish prints an integer result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FishOutput {
    Normal,
    Octal,
    Hex,
}

#[derive(Debug, Clone, Copy)]
pub struct Arg {
    pub name: &'static str,
    pub ty: ArgType,
}

#[derive(Debug, Clone, Copy)]
pub struct OptArg {
    pub name: &'static str,
    pub ty: OptArgType,
}

/// One action of the API.
#[derive(Debug)]
pub struct Action {
    pub name: &'static str,
    /// The family (`files`, `lvm`, …): which backend trait has it, and where it is declared.
    pub family: &'static str,
    /// The procedure number of a daemon call; None for calls the library answers itself.
    pub proc_nr: Option<i32>,
    pub visibility: Visibility,
    pub args: &'static [Arg],
    pub optargs: &'static [OptArg],
    pub ret: RetType,
    /// The optional feature group (`available`) the call needs.
    pub group: Option<&'static str>,
    pub deprecated: bool,
    /// The call to use instead (None: deprecated with no replacement).
    pub deprecated_by: Option<&'static str>,
    /// Other guestfish names (`add` for `add_drive`).
    pub fish_alias: &'static [&'static str],
    pub fish_output: FishOutput,
    /// Other C names (`add_drive_opts`).
    pub c_aliases: &'static [&'static str],
    pub once_had_no_optargs: bool,
    pub blocking: bool,
    pub progress: bool,
    pub cancellable: bool,
    /// Only allowed before `launch`.
    pub config_only: bool,
    pub protocol_limit_warning: bool,
    /// A daemon call this library answers itself over other calls.
    pub library_answers: bool,
    /// The libguestfs version that added it.
    pub added: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
}

impl Action {
    pub fn is_daemon(&self) -> bool {
        self.proc_nr.is_some()
    }
    /// Whether guestfish has it as a command.
    pub fn in_guestfish(&self) -> bool {
        matches!(self.visibility, Visibility::Public | Visibility::Debug)
            && !self.args.iter().any(|a| a.ty == ArgType::Pointer)
    }
    /// The guestfish command name (`mount-ro`).
    pub fn fish_name(&self) -> String {
        self.name.replace('_', "-")
    }
}

/// Looks an action up by its name (`mount_ro`) or one of its C aliases.
pub fn action(name: &str) -> Option<&'static Action> {
    match crate::ACTIONS.binary_search_by(|a| a.name.cmp(name)) {
        Ok(i) => Some(&crate::ACTIONS[i]),
        Err(_) => crate::ACTIONS.iter().find(|a| a.c_aliases.contains(&name)),
    }
}

/// Every optional feature group some action needs (`available`), sorted.
pub fn feature_groups() -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = crate::ACTIONS.iter().filter_map(|a| a.group).collect();
    groups.sort_unstable();
    groups.dedup();
    groups
}

/// A struct field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
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

/// A struct's name and fields in wire order.
#[derive(Debug)]
pub struct StructInfo {
    pub name: &'static str,
    pub fields: &'static [(&'static str, FieldKind)],
}

/// One field's value, for printing any struct.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    Str(&'a str),
    Uuid(&'a str),
    Buffer(&'a [u8]),
    Int32(i32),
    UInt32(u32),
    Int64(i64),
    UInt64(u64),
    Char(char),
    OptPercent(Option<f32>),
}

/// A struct whose fields can be listed in order (every generated struct).
pub trait StructFields: std::fmt::Debug + Send {
    fn info(&self) -> &'static StructInfo;
    fn fields(&self) -> Vec<Field<'_>>;
}

/// Writes a struct's fields as libguestfs prints them: `INDENTname: valueLINESEP` each, in
/// wire order (guestfish uses "\n" and an indent; trace lines use ", " and none).
pub fn write_struct(out: &mut String, s: &dyn StructFields, linesep: &str, indent: &str) {
    let info = s.info();
    for ((name, _), value) in info.fields.iter().zip(s.fields()) {
        out.push_str(indent);
        out.push_str(name);
        out.push_str(": ");
        match value {
            Field::Str(v) => out.push_str(v),
            Field::Uuid(v) => {
                // Exactly the 32 bytes of the wire field.
                let mut b: Vec<u8> = v.bytes().take(32).collect();
                b.resize(32, 0);
                out.push_str(&String::from_utf8_lossy(&b));
            }
            Field::Buffer(v) => {
                for &c in v {
                    if (0x20..0x7f).contains(&c) {
                        out.push(c as char);
                    } else {
                        out.push_str(&format!("\\x{:02x}", c));
                    }
                }
            }
            Field::Int32(v) => out.push_str(&v.to_string()),
            Field::UInt32(v) => out.push_str(&v.to_string()),
            Field::Int64(v) => out.push_str(&v.to_string()),
            Field::UInt64(v) => out.push_str(&v.to_string()),
            Field::Char(v) => out.push(v),
            Field::OptPercent(Some(v)) if v >= 0.0 => {
                out.push_str(&format_g(v as f64));
                out.push_str(" %");
            }
            Field::OptPercent(_) => {}
        }
        out.push_str(linesep);
    }
}

/// C's `%g`: six significant digits, trailing zeros removed, exponent form when the exponent is
/// below -4 or at least 6.
pub fn format_g(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let exp = format!("{:.5e}", v);
    let (mantissa, e) = exp.split_once('e').unwrap_or((&exp, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..6).contains(&e) {
        let sign = if e < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", trim(mantissa), sign, e.abs())
    } else {
        let decimals = (5 - e).max(0) as usize;
        trim(&format!("{:.*}", decimals, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_g_like_c() {
        assert_eq!(format_g(12.5), "12.5");
        assert_eq!(format_g(100.0), "100");
        assert_eq!(format_g(0.001), "0.001");
        assert_eq!(format_g(1234567.0), "1.23457e+06");
        assert_eq!(format_g(0.00001), "1e-05");
        assert_eq!(format_g(33.333333), "33.3333");
    }
}

//! A call's result printed as 1.48's guestfish prints it: integers (`%d`, or octal/hex for the
//! actions declared so), booleans as true/false, strings and lists one per line, hashtables
//! as `key: value`, structs field by field, struct lists as `[N] = { … }`, buffers raw.

use guestfs::protocol::lossless;
use guestfs::protocol::meta::{write_struct, Action, FishOutput, RetType};
use guestfs::RetValue;

/// A C string stops at its first NUL byte.
fn c_str(s: &str) -> &str {
    s.split('\0').next().unwrap_or("")
}

/// A string as the bytes it carries (a guest name need not be UTF-8), and a newline.
fn line(out: &mut Vec<u8>, s: &str) {
    text(out, c_str(s));
    out.push(b'\n');
}

fn text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&lossless::bytes_of(s));
}

/// An integer result: decimal, or `0`-prefixed octal / `0x`-prefixed hex (plain `0` for zero),
/// of the value as C's unsigned conversion sees it (32 bits for `RInt`).
fn integer(action: &Action, v: i64) -> String {
    let unsigned = match action.ret {
        RetType::Int => v as i32 as u32 as u64,
        _ => v as u64,
    };
    match action.fish_output {
        FishOutput::Normal => v.to_string(),
        FishOutput::Octal if v != 0 => format!("0{:o}", unsigned),
        FishOutput::Hex if v != 0 => format!("0x{:x}", unsigned),
        _ => "0".to_string(),
    }
}

/// The bytes guestfish prints for `value`, a result of `action`.
pub fn render(action: &Action, value: &RetValue) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        RetValue::Unit => {}
        RetValue::Int(v) => line(&mut out, &integer(action, *v)),
        RetValue::Bool(b) => line(&mut out, if *b { "true" } else { "false" }),
        RetValue::String(s) => line(&mut out, s),
        RetValue::OptString(s) => line(&mut out, s.as_deref().unwrap_or("(null)")),
        RetValue::StringList(l) => l.iter().for_each(|s| line(&mut out, s)),
        RetValue::Hashtable(h) => {
            for (k, v) in h {
                text(&mut out, c_str(k));
                out.extend_from_slice(b": ");
                line(&mut out, v);
            }
        }
        RetValue::Struct(s) => {
            let mut fields = String::new();
            write_struct(&mut fields, s.as_ref(), "\n", "");
            text(&mut out, &fields);
        }
        RetValue::StructList(l) => {
            let mut fields = String::new();
            for (i, s) in l.iter().enumerate() {
                fields.push_str(&format!("[{}] = {{\n", i));
                write_struct(&mut fields, s.as_ref(), "\n", "  ");
                fields.push_str("}\n");
            }
            text(&mut out, &fields);
        }
        RetValue::Buffer(b) => out.extend_from_slice(b),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(name: &str) -> &'static Action {
        guestfs::action(name).unwrap()
    }

    #[test]
    fn integers_with_fish_output() {
        let umask = action("get_umask");
        assert_eq!(render(umask, &RetValue::Int(0o22)), b"022\n");
        assert_eq!(render(umask, &RetValue::Int(0)), b"0\n");
        let mbr = action("part_get_mbr_id");
        assert_eq!(render(mbr, &RetValue::Int(0x83)), b"0x83\n");
        assert_eq!(render(mbr, &RetValue::Int(-1)), b"0xffffffff\n");
        let size = action("blockdev_getsize64");
        assert_eq!(render(size, &RetValue::Int(-5)), b"-5\n");
    }

    #[test]
    fn strings_lists_and_tables() {
        let a = action("ls");
        let l = RetValue::StringList(vec!["a".into(), "b\0c".into()]);
        assert_eq!(render(a, &l), b"a\nb\n");
        assert_eq!(render(a, &RetValue::StringList(vec![])), b"");
        let h = RetValue::Hashtable(vec![("DEVNAME".into(), "/dev/sdb1".into())]);
        assert_eq!(render(action("blkid"), &h), b"DEVNAME: /dev/sdb1\n");
        let n = action("inspect_get_icon");
        assert_eq!(render(n, &RetValue::OptString(None)), b"(null)\n");
        assert_eq!(render(n, &RetValue::Bool(true)), b"true\n");
        assert_eq!(render(n, &RetValue::Buffer(b"raw\0x".to_vec())), b"raw\0x");
    }

    #[test]
    fn structs_and_lists() {
        let v = guestfs::Version {
            major: 1,
            minor: 48,
            release: 6,
            extra: String::new(),
        };
        let a = action("version");
        assert_eq!(
            render(a, &RetValue::Struct(Box::new(v.clone()))),
            b"major: 1\nminor: 48\nrelease: 6\nextra: \n"
        );
        let l = RetValue::StructList(vec![Box::new(v)]);
        assert_eq!(
            render(a, &l),
            b"[0] = {\n  major: 1\n  minor: 48\n  release: 6\n  extra: \n}\n"
        );
    }
}

//! The `internal_test*` calls language bindings are tested with (libguestfs's generated
//! lib/bindtests.c): the parameter tests print what they were given, one line per argument,
//! to standard output or the file `internal_test_set_output` chose; the return tests turn
//! their string argument into a value of their return type, or fail with `error`.

use crate::error::{Error, Result};
use crate::handle::Handle;
use guestfs_protocol::calls::{
    InternalTest63OptargsOpts, InternalTestOnlyOptargsOpts, InternalTestOpts,
};
use guestfs_protocol::structs::LvmPv;
use std::io::Write;

/// Lists and struct lists longer than this are refused instead of allocated.
const MAX_TEST_ITEMS: u64 = 1 << 20;

/// `[\"a\", \"b\"]`, as the tests print string lists.
fn strings_line(list: &[String]) -> String {
    let quoted: Vec<String> = list.iter().map(|s| format!("\"{}\"", s)).collect();
    format!("[{}]\n", quoted.join(", "))
}

/// One optional argument: `NAME: VALUE` or `NAME: unset`.
fn optarg_line(name: &str, value: Option<String>) -> String {
    match value {
        Some(v) => format!("{}: {}\n", name, v),
        None => format!("{}: unset\n", name),
    }
}

/// `sscanf` with an integer conversion: blanks, an optional sign, then digits in `radix`
/// (0: C's `%i`, which reads `0x` as hexadecimal and a leading `0` as octal). None without a
/// digit; the rest of the string is ignored.
fn scan(s: &str, radix: u32) -> Option<i128> {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, t) = match radix {
        0 if t.starts_with("0x") || t.starts_with("0X") => (16, &t[2..]),
        0 if t.starts_with('0') => (8, t),
        0 => (10, t),
        r => (r, t),
    };
    let end = t.find(|c: char| !c.is_digit(radix)).unwrap_or(t.len());
    if end == 0 {
        return None;
    }
    // Saturate: the values are only ever narrowed afterwards.
    let v = i128::from_str_radix(&t[..end], radix).unwrap_or(i128::MAX / 2);
    Some(if neg { -v } else { v })
}

/// A count for the list tests (`%zu`/`%u`, where a negative number wraps), bounded.
fn scan_count(call: &str, val: &str, what: &str) -> Result<u64> {
    let n = scan(val, 10)
        .ok_or_else(|| Error::msg(format!("{}: expecting {} argument", call, what)))?;
    let n = n.rem_euclid(1 << 64) as u64;
    if n > MAX_TEST_ITEMS {
        return Err(Error::new(
            libc::ENOMEM,
            format!("{}: {}: too many items", call, n),
        ));
    }
    Ok(n)
}

/// The test struct the rstruct calls return, filled from its index.
fn test_pv(i: u64) -> LvmPv {
    let n = i as i64;
    LvmPv {
        pv_name: format!("pv{}", i),
        pv_uuid: "12345678901234567890123456789012".to_string(),
        pv_fmt: "unknown".to_string(),
        pv_size: n,
        dev_size: n,
        pv_free: n,
        pv_used: n,
        pv_attr: format!("attr{}", i),
        pv_pe_count: n,
        pv_pe_alloc_count: n,
        pv_tags: format!("tag{}", i),
        pe_start: n,
        pv_mda_count: n,
        pv_mda_free: n,
    }
}

/// The error of the `*err` tests.
fn test_error() -> Error {
    Error::msg("error")
}

/// The 63 optional arguments of `internal_test_63_optargs`, in order.
macro_rules! numbered_optargs {
    ($opts:expr; $($field:ident),*) => {
        [$((stringify!($field), $opts.$field)),*]
    };
}

impl Handle {
    /// Prints to the test output file, or standard output.
    fn test_print(&mut self, text: &str) -> Result<()> {
        let written = match self.test_output.as_mut() {
            Some(f) => f.write_all(text.as_bytes()).and_then(|()| f.flush()),
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes()).and_then(|()| out.flush())
            }
        };
        written.map_err(Error::from)
    }

    pub(crate) fn impl_internal_test_set_output(&mut self, filename: &str) -> Result<()> {
        let f = std::fs::File::create(filename).map_err(|e| {
            Error::from(e).context(&format!("cannot open output file {}\n", filename))
        })?;
        self.internal_test_close_output()?;
        self.test_output = Some(f);
        Ok(())
    }

    pub(crate) fn impl_internal_test_close_output(&mut self) -> Result<()> {
        // Unbuffered: every line was written when printed, so closing cannot lose output.
        self.test_output = None;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn impl_internal_test(
        &mut self,
        str: &str,
        optstr: Option<&str>,
        strlist: &[String],
        b: bool,
        integer: i32,
        integer64: i64,
        filein: &str,
        fileout: &str,
        bufferin: &[u8],
        opts: InternalTestOpts,
    ) -> Result<()> {
        let mut out = String::new();
        out.push_str(&format!("{}\n", str));
        out.push_str(&format!("{}\n", optstr.unwrap_or("null")));
        out.push_str(&strings_line(strlist));
        out.push_str(if b { "true\n" } else { "false\n" });
        out.push_str(&format!("{}\n{}\n", integer, integer64));
        out.push_str(&format!("{}\n{}\n", filein, fileout));
        for byte in bufferin {
            out.push_str(&format!("<{:02x}>", byte));
        }
        out.push('\n');
        out.push_str(&optarg_line("obool", opts.obool.map(|v| v.to_string())));
        out.push_str(&optarg_line("oint", opts.oint.map(|v| v.to_string())));
        out.push_str(&optarg_line("oint64", opts.oint64.map(|v| v.to_string())));
        out.push_str(&optarg_line("ostring", opts.ostring));
        match &opts.ostringlist {
            Some(l) => out.push_str(&format!("ostringlist: {}", strings_line(l))),
            None => out.push_str("ostringlist: unset\n"),
        }
        self.test_print(&out)
    }

    pub(crate) fn impl_internal_test_only_optargs(
        &mut self,
        opts: InternalTestOnlyOptargsOpts,
    ) -> Result<()> {
        let line = optarg_line("test", opts.test.map(|v| v.to_string()));
        self.test_print(&line)
    }

    pub(crate) fn impl_internal_test_63_optargs(
        &mut self,
        opts: InternalTest63OptargsOpts,
    ) -> Result<()> {
        let all = numbered_optargs!(opts;
            opt1, opt2, opt3, opt4, opt5, opt6, opt7, opt8, opt9, opt10, opt11, opt12, opt13,
            opt14, opt15, opt16, opt17, opt18, opt19, opt20, opt21, opt22, opt23, opt24, opt25,
            opt26, opt27, opt28, opt29, opt30, opt31, opt32, opt33, opt34, opt35, opt36, opt37,
            opt38, opt39, opt40, opt41, opt42, opt43, opt44, opt45, opt46, opt47, opt48, opt49,
            opt50, opt51, opt52, opt53, opt54, opt55, opt56, opt57, opt58, opt59, opt60, opt61,
            opt62, opt63);
        let text: String = all
            .iter()
            .map(|(name, v)| optarg_line(name, v.map(|v| v.to_string())))
            .collect();
        self.test_print(&text)
    }

    pub(crate) fn impl_internal_test_rint(&mut self, val: &str) -> Result<i32> {
        scan(val, 10)
            .map(|v| v.clamp(i32::MIN as i128, i32::MAX as i128) as i32)
            .ok_or_else(|| Error::msg("internal_test_rint: expecting int argument"))
    }
    pub(crate) fn impl_internal_test_rinterr(&mut self) -> Result<i32> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rint64(&mut self, val: &str) -> Result<i64> {
        scan(val, 0)
            .map(|v| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
            .ok_or_else(|| Error::msg("internal_test_rint64: expecting int64 argument"))
    }
    pub(crate) fn impl_internal_test_rint64err(&mut self) -> Result<i64> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rbool(&mut self, val: &str) -> Result<bool> {
        Ok(val == "true")
    }
    pub(crate) fn impl_internal_test_rboolerr(&mut self) -> Result<bool> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rconststring(&mut self, _val: &str) -> Result<String> {
        Ok("static string".to_string())
    }
    pub(crate) fn impl_internal_test_rconststringerr(&mut self) -> Result<String> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rconstoptstring(
        &mut self,
        _val: &str,
    ) -> Result<Option<String>> {
        Ok(Some("static string".to_string()))
    }
    pub(crate) fn impl_internal_test_rconstoptstringerr(&mut self) -> Result<Option<String>> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rstring(&mut self, val: &str) -> Result<String> {
        Ok(val.to_string())
    }
    pub(crate) fn impl_internal_test_rstringerr(&mut self) -> Result<String> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rstringlist(&mut self, val: &str) -> Result<Vec<String>> {
        let n = scan_count("internal_test_rstringlist", val, "int")?;
        Ok((0..n).map(|i| i.to_string()).collect())
    }
    pub(crate) fn impl_internal_test_rstringlisterr(&mut self) -> Result<Vec<String>> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rstruct(&mut self, _val: &str) -> Result<LvmPv> {
        Ok(test_pv(0))
    }
    pub(crate) fn impl_internal_test_rstructerr(&mut self) -> Result<LvmPv> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rstructlist(&mut self, val: &str) -> Result<Vec<LvmPv>> {
        let n = scan_count("internal_test_rstructlist", val, "uint32")?;
        Ok((0..n).map(test_pv).collect())
    }
    pub(crate) fn impl_internal_test_rstructlisterr(&mut self) -> Result<Vec<LvmPv>> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rhashtable(
        &mut self,
        val: &str,
    ) -> Result<Vec<(String, String)>> {
        let n = scan_count("internal_test_rhashtable", val, "int")?;
        Ok((0..n).map(|i| (i.to_string(), i.to_string())).collect())
    }
    pub(crate) fn impl_internal_test_rhashtableerr(&mut self) -> Result<Vec<(String, String)>> {
        Err(test_error())
    }
    pub(crate) fn impl_internal_test_rbufferout(&mut self, val: &str) -> Result<Vec<u8>> {
        Ok(val.as_bytes().to_vec())
    }
    pub(crate) fn impl_internal_test_rbufferouterr(&mut self) -> Result<Vec<u8>> {
        Err(test_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanning_like_sscanf() {
        assert_eq!(scan("  42abc", 10), Some(42));
        assert_eq!(scan("-7", 10), Some(-7));
        assert_eq!(scan("0x10", 0), Some(16));
        assert_eq!(scan("010", 0), Some(8));
        assert_eq!(scan("abc", 10), None);
        assert_eq!(scan("", 0), None);
    }

    #[test]
    fn counts_are_bounded() {
        assert_eq!(scan_count("t", "3", "int").unwrap(), 3);
        assert_eq!(
            scan_count("t", "x", "int").unwrap_err().message,
            "t: expecting int argument"
        );
        assert!(scan_count("t", "-1", "int").is_err());
    }

    #[test]
    fn lines() {
        assert_eq!(strings_line(&["a".into(), "b".into()]), "[\"a\", \"b\"]\n");
        assert_eq!(strings_line(&[]), "[]\n");
        assert_eq!(optarg_line("oint", None), "oint: unset\n");
    }
}

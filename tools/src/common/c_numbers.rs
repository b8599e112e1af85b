//! Numbers in option values read as 1.48's C code reads them, so that the same values are
//! accepted and refused: `atoi` and `sscanf("%d")` take leading blanks, a sign and digits,
//! and ignore what follows.

/// The number at the start of `s`, if it starts (after blanks and a sign) with a digit.
pub fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (negative, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let n = rest
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add((d - b'0') as i64)
        });
    Some(if negative { -n } else { n })
}

/// `sscanf("%d")` into a C `int`: [`scan_int`], out-of-range values clamped (glibc's
/// conversion would wrap them).
pub fn scan_i32(s: &str) -> Option<i32> {
    scan_int(s).map(|n| n.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
}

/// C's `atoi`: [`scan_int`], and 0 where there is no number.
pub fn atoi(s: &str) -> i64 {
    scan_int(s).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_c_reads_them() {
        assert_eq!(atoi(" 12x"), 12);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("-3"), -3);
        assert_eq!(scan_int("+7"), Some(7));
        assert_eq!(scan_int("x"), None);
        assert_eq!(scan_int("-"), None);
        assert_eq!(scan_int("-1"), Some(-1));
        assert_eq!(scan_i32(" -7x"), Some(-7));
        assert_eq!(scan_i32("99999999999"), Some(i32::MAX));
    }
}

//! Numbers as guestfish 1.48 reads them: gnulib's `xstrtoll` / `xstrtoull` with base 0 (decimal,
//! `0x` hex, leading-`0` octal) and the size suffixes `kKMGTPEZY` (`1k` is 1024, `1KB` and
//! `1KD` are 1000, `1KiB` is 1024, a bare `k` is 1024). Errors are gnulib's codes, which
//! guestfish prints: 1 overflow, 2 invalid suffix character (3 both), 4 not a number.

/// The suffixes guestfish allows (the `0` allows a second suffix letter: `KiB`, `KB`, `KD`).
const VALID_SUFFIXES: &[u8] = b"0kKMGTPEZY";

/// gnulib's `strtol_error` values.
pub const LONGINT_OVERFLOW: u32 = 1;
pub const LONGINT_INVALID_SUFFIX_CHAR: u32 = 2;
pub const LONGINT_INVALID: u32 = 4;

/// C's `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// What `strtoll`/`strtoull` read: the magnitude (saturated), the sign, how many bytes were
/// consumed (0 when there was no number at all), and whether the magnitude overflowed u64.
struct Strtol {
    negative: bool,
    magnitude: u64,
    overflow: bool,
    end: usize,
}

/// The digits part of `strtol` with base 0.
fn strtol_base0(s: &[u8]) -> Strtol {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let mut base = 10u64;
    if s.get(i) == Some(&b'0') {
        if matches!(s.get(i + 1), Some(b'x' | b'X'))
            && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let start = i;
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    while let Some(&c) = s.get(i) {
        let d = match c {
            b'0'..=b'9' => (c - b'0') as u64,
            b'a'..=b'f' => (c - b'a' + 10) as u64,
            b'A'..=b'F' => (c - b'A' + 10) as u64,
            _ => break,
        };
        if d >= base {
            break;
        }
        match magnitude.checked_mul(base).and_then(|m| m.checked_add(d)) {
            Some(m) => magnitude = m,
            None => {
                overflow = true;
                magnitude = u64::MAX;
            }
        }
        i += 1;
    }
    Strtol {
        negative,
        magnitude,
        overflow,
        end: if i == start { 0 } else { i },
    }
}

/// The power of the base a suffix letter means.
fn suffix_power(c: u8) -> Option<u32> {
    Some(match c {
        b'k' | b'K' => 1,
        b'M' => 2,
        b'G' => 3,
        b'T' => 4,
        b'P' => 5,
        b'E' => 6,
        b'Z' => 7,
        b'Y' => 8,
        _ => return None,
    })
}

/// The suffix part shared by both parsers: returns (multiplier base, power, error bits).
fn parse_suffix(rest: &[u8]) -> (u64, u32, u32) {
    let Some(&c) = rest.first() else {
        return (1, 0, 0);
    };
    if !VALID_SUFFIXES.contains(&c) {
        return (1, 0, LONGINT_INVALID_SUFFIX_CHAR);
    }
    let Some(power) = suffix_power(c) else {
        return (1, 0, LONGINT_INVALID_SUFFIX_CHAR);
    };
    let mut base = 1024;
    let mut len = 1;
    match rest.get(1) {
        Some(b'i') if rest.get(2) == Some(&b'B') => len = 3,
        Some(b'B' | b'D') => {
            base = 1000;
            len = 2;
        }
        _ => {}
    }
    let trailing = if rest.len() > len {
        LONGINT_INVALID_SUFFIX_CHAR
    } else {
        0
    };
    (base, power, trailing)
}

/// The shared part of both parsers: the number and its suffix, clamped to `[min, max]` the
/// way `strtol` and gnulib's scaling clamp, with the error bits they report.
fn xstrtol(s: &[u8], min: i128, max: i128) -> Result<i128, u32> {
    let r = strtol_base0(s);
    let (mut value, mut err, rest) = if r.end == 0 {
        // No number: a lone valid suffix means 1 of it.
        match s.first() {
            Some(c) if VALID_SUFFIXES.contains(c) => (1i128, 0, s),
            _ => return Err(LONGINT_INVALID),
        }
    } else {
        let magnitude = if r.overflow {
            i128::MAX
        } else {
            r.magnitude as i128
        };
        let v = if r.negative { -magnitude } else { magnitude };
        if v > max || v < min {
            (v.clamp(min, max), LONGINT_OVERFLOW, &s[r.end..])
        } else {
            (v, 0, &s[r.end..])
        }
    };
    let (base, power, suffix_err) = parse_suffix(rest);
    if suffix_err != 0 && power == 0 {
        return Err(err | suffix_err);
    }
    for _ in 0..power {
        value *= base as i128;
        if value > max || value < min {
            value = value.clamp(min, max);
            err |= LONGINT_OVERFLOW;
        }
    }
    err |= suffix_err;
    if err != 0 {
        Err(err)
    } else {
        Ok(value)
    }
}

/// gnulib `xstrtoll(s, NULL, 0, &v, "0kKMGTPEZY")`: the value, or the error code.
pub fn xstrtoll(s: &str) -> Result<i64, u32> {
    xstrtol(s.as_bytes(), i64::MIN as i128, i64::MAX as i128).map(|v| v as i64)
}

/// gnulib `xstrtoull(s, NULL, 0, &v, "0kKMGTPEZY")` (a leading `-` is invalid).
pub fn xstrtoull(s: &str) -> Result<u64, u32> {
    let bytes = s.as_bytes();
    let first = bytes.iter().position(|&c| !is_c_space(c));
    if first.is_some_and(|i| bytes[i] == b'-') {
        return Err(LONGINT_INVALID);
    }
    xstrtol(bytes, 0, u64::MAX as i128).map(|v| v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_like_1_48() {
        // Observed with guestfish 1.48 (`set-memsize V` then `get-memsize`).
        for (s, v) in [
            ("1k", 1024),
            ("1K", 1024),
            ("1KB", 1000),
            ("1KiB", 1024),
            ("1kD", 1000),
            ("1M", 1 << 20),
            ("1G", 1 << 30),
            ("k", 1024),
            ("0x10", 16),
            ("010", 8),
            ("-5", -5),
            (" 12", 12),
            ("+7", 7),
            ("2147483647", 2147483647),
            ("-9223372036854775808", i64::MIN),
            ("9223372036854775807", i64::MAX),
        ] {
            assert_eq!(xstrtoll(s), Ok(v), "{s}");
        }
    }

    #[test]
    fn errors_like_1_48() {
        for (s, e) in [
            ("", 4),
            (" ", 4),
            ("-", 4),
            ("08", 2),
            ("1x", 2),
            ("1.5", 2),
            ("1b", 2),
            ("1KiBx", 2),
            ("0x", 2),
            ("1e", 2),
            ("9999999999999999999999", 1),
            ("99999999999G", 1),
            ("8E", 1),
        ] {
            assert_eq!(xstrtoll(s), Err(e), "{s}");
        }
    }

    #[test]
    fn unsigned_sizes() {
        assert_eq!(xstrtoull("64M"), Ok(64 << 20));
        assert_eq!(xstrtoull("1G"), Ok(1 << 30));
        assert_eq!(xstrtoull("-1"), Err(4));
        assert_eq!(xstrtoull(" -1"), Err(4));
        assert_eq!(xstrtoull("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(xstrtoull("18446744073709551616"), Err(1));
        assert_eq!(xstrtoull("16E"), Err(1));
        assert_eq!(xstrtoull("1Q"), Err(2));
    }
}

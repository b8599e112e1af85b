//! libguestfs's device names, shared by the library, the daemon and the tools: drive letters
//! (`sda` … `sdz`, `sdaa` …) and indexes, canonical names, and the natural sort order.

/// `sda`, `sdb`, … `sdz`, `sdaa`, … for drive index `i`.
pub fn drive_letters(mut i: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'a' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The inverse of [`drive_letters`]: `ab` → 27.
pub fn drive_index(letters: &str) -> Option<usize> {
    let mut n: usize = 0;
    for c in letters.bytes() {
        if !c.is_ascii_lowercase() {
            return None;
        }
        n = n.checked_mul(26)?.checked_add((c - b'a') as usize + 1)?;
    }
    n.checked_sub(1)
}

/// Rewrites the device names libguestfs accepts as input to the canonical ones:
/// `/dev/vdX`/`/dev/hdX` → `/dev/sdX`, `/dev/mapper/VG-LV` → `/dev/VG/LV`.
pub fn canonical_name(name: &str) -> String {
    for prefix in ["/dev/vd", "/dev/hd", "/dev/xvd"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if rest.starts_with(|c: char| c.is_ascii_lowercase()) {
                return format!("/dev/sd{}", rest);
            }
        }
    }
    if let Some(rest) = name.strip_prefix("/dev/mapper/") {
        if let Some((vg, lv)) = split_dm_name(rest) {
            return format!("/dev/{}/{}", vg, lv);
        }
    }
    name.to_string()
}

/// Splits a device-mapper name `VG-LV` (with `--` standing for a `-` inside a name).
fn split_dm_name(name: &str) -> Option<(String, String)> {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'-' {
            if i + 1 < bytes.len() && bytes[i + 1] == b'-' {
                i += 2;
                continue;
            }
            let vg = name[..i].replace("--", "-");
            let lv = name[i + 1..].replace("--", "-");
            if vg.is_empty() || lv.is_empty() {
                return None;
            }
            return Some((vg, lv));
        }
        i += 1;
    }
    None
}

/// Compares names so that embedded numbers sort by value (`sda2` < `sda10`).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut ai, mut bi) = (a.as_bytes(), b.as_bytes());
    loop {
        match (ai.first(), bi.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let an = ai.iter().take_while(|c| c.is_ascii_digit()).count();
                let bn = bi.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&ai[..an]), trim_zeros(&bi[..bn]));
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                ai = &ai[an..];
                bi = &bi[bn..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                ai = &ai[1..];
                bi = &bi[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let n = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[n.min(digits.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_letters_follow_the_kernel() {
        assert_eq!(drive_letters(0), "a");
        assert_eq!(drive_letters(25), "z");
        assert_eq!(drive_letters(26), "aa");
        assert_eq!(drive_letters(27), "ab");
        assert_eq!(drive_letters(702), "aaa");
    }

    #[test]
    fn canonical_names() {
        assert_eq!(canonical_name("/dev/vda1"), "/dev/sda1");
        assert_eq!(canonical_name("/dev/hdb"), "/dev/sdb");
        assert_eq!(
            canonical_name("/dev/mapper/debian-root"),
            "/dev/debian/root"
        );
        assert_eq!(
            canonical_name("/dev/mapper/my--vg-lv--1"),
            "/dev/my-vg/lv-1"
        );
        assert_eq!(canonical_name("/dev/VG/LV"), "/dev/VG/LV");
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["/dev/sda10", "/dev/sda2", "/dev/sdb1", "/dev/sda1"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["/dev/sda1", "/dev/sda2", "/dev/sda10", "/dev/sdb1"]);
    }
}

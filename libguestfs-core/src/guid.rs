//! The GUID syntax libguestfs accepts for `GUID` arguments.

/// `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`, optionally in braces. Like libguestfs, any ASCII
/// letter or digit is accepted where a hex digit belongs.
pub fn is_valid(s: &str) -> bool {
    let inner = match s.strip_prefix('{') {
        Some(rest) => match rest.strip_suffix('}') {
            Some(inner) => inner,
            None => return false,
        },
        None => s,
    };
    let groups: Vec<&str> = inner.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn guids() {
        assert!(super::is_valid("21686148-6449-6E6F-744E-656564454649"));
        assert!(super::is_valid("{21686148-6449-6E6F-744E-656564454649}"));
        assert!(!super::is_valid("21686148-6449-6E6F-744E-65656445464"));
        assert!(!super::is_valid("21686148644966E6F744E656564454649"));
        assert!(super::is_valid("zzzzzzzz-6449-6E6F-744E-656564454649"));
        assert!(!super::is_valid("{21686148-6449-6E6F-744E-656564454649"));
    }
}

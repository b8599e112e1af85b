//! The line virt-log prints per journal entry (journalctl's "short" format without the
//! hostname).

/// syslog priority names, by PRIORITY digit.
const LOG_LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// The line virt-log prints for a journal entry (without the newline), like journalctl's
/// "short" format without the hostname: `%b %d %H:%M:%S` in local time (left out when
/// `realtime_usec` is -1), ` IDENT` (SYSLOG_IDENTIFIER, else _COMM), `[PID]` if _PID is set,
/// ` LEVEL:` and ` MESSAGE`.
///
/// The level comes from PRIORITY's first character: a digit 0–7 names the level, no
/// PRIORITY or a non-digit means `info`, and 8 or 9 print no level (virt-log's rule).
/// None when the timestamp cannot be formatted (virt-log then reports an error and goes on).
/// Field values are bytes, written as they are.
pub fn format_short_bytes(fields: &[(String, Vec<u8>)], realtime_usec: i64) -> Option<Vec<u8>> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    };
    let mut priority = 6usize;
    if let Some(&c) = get("PRIORITY").and_then(|p| p.first()) {
        if c.is_ascii_digit() {
            priority = (c - b'0') as usize;
        }
    }
    let mut line = Vec::new();
    if realtime_usec != -1 {
        let stamp = guestfs::time::format_local(realtime_usec / 1_000_000, "%b %d %H:%M:%S");
        if stamp.is_empty() {
            return None;
        }
        line.extend_from_slice(stamp.as_bytes());
    }
    if let Some(ident) = get("SYSLOG_IDENTIFIER").or_else(|| get("_COMM")) {
        line.push(b' ');
        line.extend_from_slice(ident);
    }
    if let Some(pid) = get("_PID") {
        line.push(b'[');
        line.extend_from_slice(pid);
        line.push(b']');
    }
    if let Some(level) = LOG_LEVELS.get(priority) {
        line.push(b' ');
        line.extend_from_slice(level.as_bytes());
        line.push(b':');
    }
    if let Some(message) = get("MESSAGE") {
        line.push(b' ');
        line.extend_from_slice(message);
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line as text (invalid UTF-8 replaced).
    fn format_short(fields: &[(String, Vec<u8>)], realtime_usec: i64) -> Option<String> {
        format_short_bytes(fields, realtime_usec).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn f(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect()
    }

    #[test]
    fn short_format_without_timestamp() {
        let line = format_short_bytes(
            &f(&[
                ("_COMM", b"sshd"),
                ("MESSAGE", b"hello\nworld\xff"),
                ("_PID", b"12"),
                ("PRIORITY", b"3"),
            ]),
            -1,
        )
        .unwrap();
        assert_eq!(line, b" sshd[12] err: hello\nworld\xff");
        let line = format_short(&f(&[("_COMM", b"sshd"), ("MESSAGE", b"a\xffb")]), -1).unwrap();
        assert_eq!(line, " sshd info: a\u{fffd}b");
        let line = format_short_bytes(
            &f(&[
                ("SYSLOG_IDENTIFIER", b"id"),
                ("_COMM", b"comm"),
                ("PRIORITY", b"x"),
            ]),
            -1,
        )
        .unwrap();
        assert_eq!(line, b" id info:");
        assert_eq!(format_short(&f(&[("PRIORITY", b"9")]), -1).unwrap(), "");
        assert_eq!(format_short(&[], -1).unwrap(), " info:");
        // the first of repeated fields wins
        let line = format_short(&f(&[("MESSAGE", b"a"), ("MESSAGE", b"b")]), -1).unwrap();
        assert_eq!(line, " info: a");
    }
}

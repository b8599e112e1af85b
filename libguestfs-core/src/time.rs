//! Local time through the C library, so `TZ` is honoured exactly as the C tools honour it.

extern "C" {
    // Not bound by the libc crate; localtime_r does not call it implicitly.
    fn tzset();
}

/// The broken-down local time of `secs` since the epoch, and its UTC offset in seconds.
pub fn local(secs: i64) -> (libc::tm, i64) {
    // SAFETY: tzset and localtime_r only write to the provided tm struct.
    unsafe {
        tzset();
        let t: libc::time_t = secs as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return (std::mem::zeroed(), 0);
        }
        let off = tm.tm_gmtoff;
        (tm, off)
    }
}

/// strftime of a broken-down time.
pub fn format_tm(tm: &libc::tm, format: &str) -> String {
    let fmt = match std::ffi::CString::new(format) {
        Ok(f) => f,
        Err(_) => return String::new(),
    };
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; strftime NUL-terminates within it.
    let n = unsafe {
        libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            fmt.as_ptr(),
            tm,
        )
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// strftime of `secs` since the epoch in local time.
pub fn format_local(secs: i64, format: &str) -> String {
    let (tm, _) = local(secs);
    format_tm(&tm, format)
}

//! Recording dates as the kernel's isofs driver converts them (`iso_date` and `mktime64`).

/// `mktime64` of the kernel, with its unsigned 32-bit intermediate arithmetic (a month of 0
/// or a day of 0 give what the kernel gives, not an error).
fn mktime64(year0: u32, mon0: u32, day: u32, hour: u32, min: u32, sec: u32) -> i64 {
    let mut mon = mon0.wrapping_sub(2);
    let mut year = year0;
    // 1..12 -> 11,12,1..10: February last, since it has the leap day.
    if (mon as i32) <= 0 {
        mon = mon.wrapping_add(12);
        year = year.wrapping_sub(1);
    }
    let days = (year / 4)
        .wrapping_sub(year / 100)
        .wrapping_add(year / 400)
        .wrapping_add(367u32.wrapping_mul(mon) / 12)
        .wrapping_add(day);
    let days = i64::from(days) + i64::from(year.wrapping_mul(365)) - 719_499;
    ((days * 24 + i64::from(hour)) * 60 + i64::from(min)) * 60 + i64::from(sec)
}

/// Seconds since the epoch of a 7-byte recording date (directory records, Rock Ridge TF in
/// short form): years since 1900, month, day, hour, minute, second, and the offset from GMT
/// in 15-minute units, trusted only within 13 hours. The kernel of libguestfs 1.48's
/// appliance keeps the result in a 32-bit `int`, so dates after January 2038 wrap.
pub fn iso_date(p: &[u8; 7]) -> i64 {
    let [year, month, day, hour, minute, second, tz] = *p;
    let t = mktime64(
        u32::from(year) + 1900,
        u32::from(month),
        u32::from(day),
        u32::from(hour),
        u32::from(minute),
        u32::from(second),
    );
    let mut crtime = t as i32;
    let tz = i32::from(tz as i8);
    if (-52..=52).contains(&tz) {
        crtime = crtime.wrapping_sub(tz * 15 * 60);
    }
    i64::from(crtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_like_the_kernel() {
        // 2000-01-01 00:00:00 GMT.
        assert_eq!(iso_date(&[100, 1, 1, 0, 0, 0, 0]), 946_684_800);
        // One hour east of GMT: an hour earlier in GMT.
        assert_eq!(iso_date(&[100, 1, 1, 1, 0, 0, 4]), 946_684_800);
        // Offsets beyond 13 hours are ignored.
        assert_eq!(iso_date(&[100, 1, 1, 0, 0, 0, 100]), 946_684_800);
        assert_eq!(iso_date(&[70, 1, 1, 0, 0, 0, 0]), 0);
        // Nonsense fields do not panic.
        let _ = iso_date(&[255, 0, 0, 255, 255, 255, 0x80]);
    }
}

//! The fields of one file in virt-ls `-lR` and virt-diff output: type, permissions, size,
//! ids, times, extra stats, in 1.48's widths.

use super::human::human_size;
use guestfs::types::{
    major_minor, StatNs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
};

/// How times are shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// `YYYY-MM-DD HH:MM:SS` in local time.
    Date,
    /// Seconds since the epoch, `%10d`.
    Epoch,
    /// Seconds before now, `%8d`.
    Relative,
    /// Whole days before now, `%3d`.
    Days,
}

/// Which fields are shown and how.
pub struct FieldOptions {
    pub csv: bool,
    pub human: bool,
    pub uids: bool,
    /// Keep the `%4d` padding of uid/gid in CSV (virt-ls does, virt-diff does not).
    pub pad_uids_in_csv: bool,
    pub times: Option<TimeStyle>,
    /// Include atime among the times (virt-diff only with `--atime`).
    pub atime: bool,
    pub extra_stats: bool,
    pub now: i64,
}

/// `-`, `d`, `l`, … for a mode.
pub fn file_type_char(mode: i64) -> &'static str {
    match mode & S_IFMT {
        S_IFREG => "-",
        S_IFDIR => "d",
        S_IFLNK => "l",
        S_IFBLK => "b",
        S_IFCHR => "c",
        S_IFIFO => "p",
        S_IFSOCK => "s",
        _ => "u",
    }
}

/// The seconds since the epoch now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The stat fields of one file, before the checksum and the path.
pub fn stat_fields(st: &StatNs, o: &FieldOptions) -> Vec<String> {
    let mut fields = vec![
        file_type_char(st.st_mode).to_string(),
        format!("{:04o}", st.st_mode & 0o7777),
    ];
    fields.push(if o.csv {
        st.st_size.to_string()
    } else if o.human {
        format!("{:>10}", human_size(st.st_size.max(0) as u64))
    } else {
        format!("{:10}", st.st_size)
    });
    if o.uids {
        for id in [st.st_uid, st.st_gid] {
            fields.push(if o.csv && !o.pad_uids_in_csv {
                id.to_string()
            } else {
                format!("{:4}", id)
            });
        }
    }
    if let Some(style) = o.times {
        let mut times = Vec::new();
        if o.atime {
            times.push(st.st_atime_sec);
        }
        times.push(st.st_mtime_sec);
        times.push(st.st_ctime_sec);
        for t in times {
            fields.push(match style {
                TimeStyle::Date => guestfs::time::format_local(t, "%Y-%m-%d %H:%M:%S"),
                TimeStyle::Epoch => format!("{:10}", t),
                TimeStyle::Relative => format!("{:8}", o.now - t),
                TimeStyle::Days => format!("{:3}", (o.now - t) / 86400),
            });
        }
    }
    if o.extra_stats {
        let (dmaj, dmin) = major_minor(st.st_dev);
        let (rmaj, rmin) = major_minor(st.st_rdev);
        fields.push(format!("{}:{}", dmaj, dmin));
        fields.push(st.st_ino.to_string());
        fields.push(st.st_nlink.to_string());
        fields.push(format!("{}:{}", rmaj, rmin));
        fields.push(st.st_blocks.to_string());
    }
    fields
}

/// The time format chosen by `--time-t`, `--time-relative`, `--time-days` or `--times`
/// (`also_times` makes `--times` implied, as virt-diff's `--all` does).
pub fn time_style(ctx: &super::Ctx, also_times: bool) -> Option<TimeStyle> {
    if ctx.flag("time-t") {
        Some(TimeStyle::Epoch)
    } else if ctx.flag("time-relative") {
        Some(TimeStyle::Relative)
    } else if ctx.flag("time-days") {
        Some(TimeStyle::Days)
    } else if ctx.flag("times") || also_times {
        Some(TimeStyle::Date)
    } else {
        None
    }
}

//! Alpine's apk database, `/lib/apk/db/installed`.

use super::new_app;
use super::pacman::{chomp, getlines};
use crate::inspect::text::parse_unsigned_int;
use crate::types::Application2;

/// Parses the installed database into packages, in file order.
pub fn parse_apk_installed(data: &[u8]) -> Vec<Application2> {
    let mut apps = Vec::new();
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut release: Option<String> = None;
    let mut arch: Option<String> = None;
    let mut url: Option<String> = None;
    let mut description: Option<String> = None;
    let mut epoch: i32 = 0;
    for raw in getlines(data) {
        // The length check uses getline's length (with the newline), as libguestfs does.
        if raw.len() > 1 && raw.get(1) != Some(&b':') {
            continue;
        }
        let line = chomp(raw);
        let value = || String::from_utf8_lossy(line.get(2..).unwrap_or(&[])).into_owned();
        match line.first() {
            None => {
                if epoch >= 0 {
                    if let (Some(n), Some(v)) = (&name, &version) {
                        let mut a = new_app();
                        a.app2_name = n.clone();
                        a.app2_epoch = epoch;
                        a.app2_version = v.clone();
                        a.app2_release = release.clone().unwrap_or_default();
                        a.app2_arch = arch.clone().unwrap_or_default();
                        a.app2_url = url.clone().unwrap_or_default();
                        a.app2_description = description.clone().unwrap_or_default();
                        apps.push(a);
                    }
                }
                name = None;
                version = None;
                release = None;
                arch = None;
                url = None;
                description = None;
            }
            Some(b'A') => arch = Some(value()),
            Some(b'P') => name = Some(value()),
            Some(b'T') => description = Some(value()),
            Some(b'U') => url = Some(value()),
            Some(b'V') => {
                let v = value();
                let rest = match v.split_once(':') {
                    Some((e, rest)) => {
                        epoch = parse_unsigned_int(e);
                        rest.to_string()
                    }
                    None => {
                        epoch = 0;
                        v.clone()
                    }
                };
                match rest.split_once('-') {
                    Some((ver, rel)) => {
                        version = Some(ver.to_string());
                        release = Some(rel.strip_prefix('r').unwrap_or(rel).to_string());
                    }
                    None => {
                        version = Some(rest);
                        release = None;
                    }
                }
            }
            _ => {}
        }
    }
    apps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_db() {
        let apps = parse_apk_installed(
            b"C:Q1abc=\nP:musl\nV:1.2.3-r4\nA:x86_64\nS:1\nT:the musl c library\nU:https://musl.libc.org/\n\nP:epoch\nV:2:1.0-r0\nA:noarch\n\nP:noversion\nA:x\n\nP:last\nV:1-r1\n",
        );
        assert_eq!(apps.len(), 2);
        assert_eq!(apps[0].app2_name, "musl");
        assert_eq!(apps[0].app2_version, "1.2.3");
        assert_eq!(apps[0].app2_release, "4");
        assert_eq!(apps[0].app2_description, "the musl c library");
        assert_eq!(apps[0].app2_url, "https://musl.libc.org/");
        assert_eq!(apps[1].app2_epoch, 2);
        assert_eq!(apps[1].app2_release, "0");
        // Garbage lines are skipped.
        assert_eq!(parse_apk_installed(b"garbage\nP\nP:x\nV:1\n\n").len(), 1);
    }
}

//! Registry paths (`HKLM\SOFTWARE\…`, `HKU\S-1-5-…\…`) mapped to the hive file of a Windows
//! guest that holds them, as 1.48's virt-win-reg maps them (its `map_path_to_hive`): the
//! machine hives under `%systemroot%\system32\config`, users' `ntuser.dat` found through the
//! profile list of the SOFTWARE hive (by SID) or in their profile folder (by name).

use guestfs::{Handle, HivexOpenOpts, IsDirOpts};

/// Where the hive of a registry path is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HiveLocation {
    /// `%systemroot%/system32/config/NAME`.
    Config(&'static str),
    /// The `ntuser.dat` in the profile the SOFTWARE hive's ProfileList gives for this SID.
    UserSid(String),
    /// The `ntuser.dat` in `/Users/NAME` or `/Documents and Settings/NAME`.
    UserName(String),
}

/// A registry path taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HivePath {
    /// The name 1.48 gives the hive's local copy (one copy a hive).
    pub short_name: String,
    pub location: HiveLocation,
    /// The path inside the hive, from its root (`\` for the root itself).
    pub path: String,
    /// What exports print before the path inside the hive.
    pub prefix: String,
}

/// The part after `TOP\NAME` when `p` is `[\]TOP\NAME[\…]` (TOP one of `tops`, NAME
/// `name`, both case-insensitive): the path inside the hive, `\` when there is none.
fn under(p: &str, tops: &[&str], name: &str) -> Option<String> {
    let p = p.strip_prefix('\\').unwrap_or(p);
    let (top, rest) = p.split_once('\\')?;
    if !tops.iter().any(|t| t.eq_ignore_ascii_case(top)) {
        return None;
    }
    let head = rest.get(..name.len())?;
    if !head.eq_ignore_ascii_case(name) {
        return None;
    }
    match &rest[name.len()..] {
        "" => Some("\\".to_string()),
        tail if tail.starts_with('\\') => Some(tail.to_string()),
        _ => None,
    }
}

const MACHINE: &[&str] = &["HKEY_LOCAL_MACHINE", "HKLM"];
const USERS: &[&str] = &["HKEY_USERS", "HKU"];

/// `S-1-5-` and digits or dashes, case-insensitively (`/(S-1-5-[-\d]+)/i`).
fn sid_of(p: &str) -> Option<(&str, &str)> {
    let end = p.find('\\').unwrap_or(p.len());
    let (sid, rest) = p.split_at(end);
    let digits = sid.get(6..)?;
    (sid.get(..6)?.eq_ignore_ascii_case("S-1-5-")
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '-'))
    .then_some((sid, rest))
}

/// 1.48's `map_path_to_hive`, or None for a path it does not support.
pub fn map_path_to_hive(p: &str) -> Option<HivePath> {
    let config = |name: &'static str, prefix: &str, path: String| HivePath {
        short_name: name.to_string(),
        location: HiveLocation::Config(name),
        path,
        prefix: prefix.to_string(),
    };
    for (name, prefix) in [
        ("sam", "HKEY_LOCAL_MACHINE\\SAM"),
        ("security", "HKEY_LOCAL_MACHINE\\SECURITY"),
        ("software", "HKEY_LOCAL_MACHINE\\SOFTWARE"),
        ("system", "HKEY_LOCAL_MACHINE\\SYSTEM"),
    ] {
        if let Some(path) = under(p, MACHINE, name) {
            return Some(config(name, prefix, path));
        }
    }
    if let Some(path) = under(p, USERS, ".DEFAULT") {
        return Some(config("default", "HKEY_LOCAL_MACHINE\\.DEFAULT", path));
    }
    let user = |sid: &str, path: String| HivePath {
        short_name: sid.to_string(),
        location: HiveLocation::UserSid(sid.to_string()),
        path,
        prefix: format!("HKEY_USERS\\{}", sid),
    };
    let rest = p.strip_prefix('\\').unwrap_or(p);
    let (top, rest) = rest.split_once('\\')?;
    if !USERS.iter().any(|t| t.eq_ignore_ascii_case(top)) {
        return None;
    }
    let inner = |tail: &str| {
        if tail.is_empty() {
            "\\".to_string()
        } else {
            tail.to_string()
        }
    };
    if let Some((sid, tail)) = sid_of(rest) {
        return Some(user(sid, inner(tail)));
    }
    for (name, sid) in [
        ("LocalSystem", "S-1-5-18"),
        ("LocalService", "S-1-5-19"),
        ("NetworkService", "S-1-5-20"),
    ] {
        if let Some(path) = under(p, USERS, name) {
            return Some(user(sid, path));
        }
    }
    let (name, tail) = rest.split_at(rest.find('\\').unwrap_or(rest.len()));
    Some(HivePath {
        short_name: format!("user_{}", name),
        location: HiveLocation::UserName(name.to_string()),
        path: inner(tail),
        prefix: format!("HKEY_USERS\\{}", name),
    })
}

/// Why the file of a hive cannot be found, worded as 1.48's virt-win-reg (a Perl `die`).
#[derive(Debug)]
pub enum LocateError {
    /// No profile folder for a user name: the whole message.
    NoUserDirectory(String),
    /// hivexget could not give the profile of a SID.
    NoProfile,
}

/// The guest file of a hive (to be looked up case-insensitively), for the guest whose
/// `%systemroot%` is `systemroot`.
pub fn hive_file(
    g: &mut Handle,
    location: &HiveLocation,
    systemroot: &str,
) -> Result<String, LocateError> {
    match location {
        HiveLocation::Config(name) => Ok(format!("{}/system32/config/{}", systemroot, name)),
        HiveLocation::UserSid(sid) => Ok(format!(
            "{}/ntuser.dat",
            profile_of_sid(g, sid, systemroot)?
        )),
        HiveLocation::UserName(name) => {
            for dir in ["/Users", "/Documents and Settings"] {
                let dir = format!("{}/{}", dir, name);
                if is_dir_nocase(g, &dir) {
                    return Ok(format!("{}/ntuser.dat", dir));
                }
            }
            Err(LocateError::NoUserDirectory(format!(
                "virt-win-reg: {}: cannot find user directory",
                name
            )))
        }
    }
}

/// The ProfileImagePath of the SID in the SOFTWARE hive's ProfileList, as a guest path: its
/// `%systemroot%` expanded, `%systemdrive%` and a leading `c:` dropped, `/` for `\`.
fn profile_of_sid(g: &mut Handle, sid: &str, systemroot: &str) -> Result<String, LocateError> {
    let software = format!("{}/system32/config/software", systemroot);
    let software = g.case_sensitive_path(&software).unwrap_or(software);
    g.push_error_handler_quiet();
    let value = (|| -> Option<String> {
        g.hivex_open(&software, HivexOpenOpts::default()).ok()?;
        let mut node = g.hivex_root().ok()?;
        let key = format!(
            "Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\{}",
            sid
        );
        for part in key.split('\\') {
            node = g.hivex_node_get_child(node, part).ok()?;
            if node == 0 {
                return None;
            }
        }
        let v = g.hivex_node_get_value(node, "ProfileImagePath").ok()?;
        if v == 0 {
            return None;
        }
        let data = g.hivex_value_value(v).ok()?;
        let _ = g.hivex_close();
        // The first line of hivexget's output.
        Some(
            utf16le_string(&data)
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        )
    })();
    g.pop_error_handler();
    let mut path = value.ok_or(LocateError::NoProfile)?;
    path = replace_first_nocase(&path, "%systemroot%", systemroot);
    path = replace_first_nocase(&path, "%systemdrive%", "");
    if path.len() >= 2 && path[..2].eq_ignore_ascii_case("c:") {
        path.replace_range(..2, "");
    }
    Ok(path.replace('\\', "/"))
}

/// A string value as hivexget prints it: UTF-16LE up to the first NUL.
pub fn utf16le_string(data: &[u8]) -> String {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

fn replace_first_nocase(s: &str, what: &str, with: &str) -> String {
    let lower = s.to_ascii_lowercase();
    match lower.find(what) {
        Some(i) => format!("{}{}{}", &s[..i], with, &s[i + what.len()..]),
        None => s.to_string(),
    }
}

/// Perl's `is_dir_nocase`: the folder exists, its name looked up case-insensitively.
fn is_dir_nocase(g: &mut Handle, dir: &str) -> bool {
    g.push_error_handler_quiet();
    let found = g
        .case_sensitive_path(dir)
        .and_then(|real| g.is_dir(&real, IsDirOpts::default()))
        .unwrap_or(false);
    g.pop_error_handler();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(p: &str) -> Option<(String, HiveLocation, String, String)> {
        map_path_to_hive(p).map(|h| (h.short_name, h.location, h.path, h.prefix))
    }

    #[test]
    fn machine_hives() {
        assert_eq!(
            map("HKLM\\Software\\Microsoft"),
            Some((
                "software".into(),
                HiveLocation::Config("software"),
                "\\Microsoft".into(),
                "HKEY_LOCAL_MACHINE\\SOFTWARE".into()
            ))
        );
        assert_eq!(
            map("\\HKEY_LOCAL_MACHINE\\SYSTEM").map(|m| m.2),
            Some("\\".into())
        );
        assert_eq!(map("HKLM\\SYSTEMX"), None);
        assert_eq!(map("HKCU\\Software"), None);
        assert_eq!(
            map("HKU\\.default\\x").map(|m| (m.0, m.3)),
            Some(("default".into(), "HKEY_LOCAL_MACHINE\\.DEFAULT".into()))
        );
    }

    #[test]
    fn user_hives() {
        assert_eq!(
            map("HKU\\s-1-5-21-1-2\\Env"),
            Some((
                "s-1-5-21-1-2".into(),
                HiveLocation::UserSid("s-1-5-21-1-2".into()),
                "\\Env".into(),
                "HKEY_USERS\\s-1-5-21-1-2".into()
            ))
        );
        assert_eq!(
            map("HKEY_USERS\\LocalService").map(|m| m.1),
            Some(HiveLocation::UserSid("S-1-5-19".into()))
        );
        assert_eq!(
            map("HKU\\alice\\Software\\X"),
            Some((
                "user_alice".into(),
                HiveLocation::UserName("alice".into()),
                "\\Software\\X".into(),
                "HKEY_USERS\\alice".into()
            ))
        );
    }
}

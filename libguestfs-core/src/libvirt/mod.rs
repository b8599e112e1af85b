//! libvirt guests: finding a domain by name or UUID, listing every domain, and turning a
//! domain's disks into `add_drive` arguments, with libguestfs 1.48's messages
//! (lib/libvirt-domain.c, common/parallel/domains.c).
//!
//! libvirt itself is asked through the `virt-tools-libvirt` program ([`helper`]), the only one
//! of the project that links it: this library, and so every tool, loads libvirt only when a
//! libvirt guest is used. A `virDomainPtr` given to `add_libvirt_dom` is read through the
//! libvirt its caller has already loaded ([`pointer`]).

pub mod domain_xml;
mod helper;
mod pointer;

use domain_xml::{DiskSource, SecretRef};
use serde_json::Value;

pub(crate) use pointer::domain_identity;

/// Where a domain is: its connection's URI (None: libvirt's default) and its name, or its
/// UUID tried first when `by_uuid`.
pub(crate) struct DomainRef<'a> {
    pub uri: Option<&'a str>,
    pub name: &'a str,
    pub by_uuid: bool,
}

impl DomainRef<'_> {
    fn uri_arg(&self) -> &str {
        self.uri.unwrap_or("-")
    }
}

/// What `add_libvirt_dom` needs of a domain.
pub(crate) struct Description {
    pub xml: String,
    pub running: bool,
}

/// The domain's XML and whether it is running, over a read-only connection when `read_only`.
pub(crate) fn describe(dom: &DomainRef, read_only: bool) -> Result<Description, String> {
    let answer = helper::ask(&[
        "domain",
        dom.uri_arg(),
        access(read_only),
        if dom.by_uuid { "uuid" } else { "name" },
        dom.name,
    ])?;
    match (answer["xml"].as_str(), answer["running"].as_bool()) {
        (Some(xml), Some(running)) => Ok(Description {
            xml: xml.to_string(),
            running,
        }),
        _ => Err(helper::malformed(&answer)),
    }
}

fn access(read_only: bool) -> &'static str {
    if read_only {
        "ro"
    } else {
        "rw"
    }
}

/// What `add_drive` needs for one disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DriveSource {
    pub filename: String,
    pub protocol: Option<String>,
    pub servers: Option<Vec<String>>,
    pub username: Option<String>,
    pub secret: Option<String>,
}

/// A disk's `add_drive` arguments, looking up storage pool volumes and secrets on the
/// domain's connection. `None`: the disk is left out, after the messages 1.48 reports without
/// failing (pushed on `reported` for the caller to report).
pub(crate) fn drive_source(
    dom: &DomainRef,
    read_only: bool,
    source: &DiskSource,
    reported: &mut Vec<String>,
) -> Option<DriveSource> {
    let plain = |filename: &str| DriveSource {
        filename: filename.to_string(),
        protocol: None,
        servers: None,
        username: None,
        secret: None,
    };
    let answer = |question: &[&str], reported: &mut Vec<String>| match helper::ask(question) {
        Ok(Value::Null) => None,
        Ok(v) => Some(v),
        Err(msg) => {
            reported.push(msg);
            None
        }
    };
    match source {
        DiskSource::File(f) | DiskSource::Block(f) => Some(plain(f)),
        DiskSource::Volume { pool, volume } => {
            let question = ["volume", dom.uri_arg(), access(read_only), pool, volume];
            let path = answer(&question, reported)?;
            Some(plain(path.as_str()?))
        }
        DiskSource::Network {
            protocol,
            name,
            servers,
            auth,
        } => {
            let (username, secret) = match auth {
                None => (None, None),
                Some(a) => {
                    let question = match &a.secret {
                        SecretRef::Uuid(uuid) => vec!["secret", dom.uri_arg(), "uuid", uuid],
                        SecretRef::Usage(usage) => {
                            vec!["secret", dom.uri_arg(), "usage", &a.secret_type, usage]
                        }
                    };
                    let value = unhex(answer(&question, reported)?.as_str()?)?;
                    (
                        Some(a.username.clone()),
                        Some(secret_text(&a.secret_type, &value)),
                    )
                }
            };
            Some(DriveSource {
                filename: name.clone(),
                protocol: Some(protocol.clone()),
                servers: Some(servers.clone()),
                username,
                secret,
            })
        }
    }
}

/// A secret's value as qemu wants it: base64 for `ceph` secrets, else the bytes as text.
fn secret_text(secret_type: &str, value: &[u8]) -> String {
    if secret_type == "ceph" {
        base64(value)
    } else {
        String::from_utf8_lossy(value).into_owned()
    }
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A guest of the every-guest mode of virt-df and virt-alignment-scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    pub name: String,
    pub uuid: Option<String>,
}

/// Every domain of the connection, running ones and defined ones, sorted by name, read over
/// a read-only connection (libguestfs-common's `get_all_libvirt_domains`).
pub fn all_guests(uri: Option<&str>) -> Result<Vec<Guest>, String> {
    let answer = helper::ask(&["list", uri.unwrap_or("-")])?;
    let list = answer
        .as_array()
        .ok_or_else(|| helper::malformed(&answer))?;
    list.iter()
        .map(|g| match (g["name"].as_str(), &g["uuid"]) {
            (Some(name), uuid) => Ok(Guest {
                name: name.to_string(),
                uuid: uuid.as_str().map(str::to_string),
            }),
            _ => Err(helper::malformed(&answer)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{base64, unhex};

    #[test]
    fn base64_pads_like_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn secrets_come_back_from_hex() {
        assert_eq!(unhex("00ff41").as_deref(), Some(&[0u8, 255, 65][..]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
    }
}

//! libvirt guests, through libvirt itself (the `virt` crate): opening a connection, finding
//! a domain by name or UUID, listing every domain, and turning a domain's disks into
//! `add_drive` arguments, with libguestfs 1.48's messages (lib/libvirt-domain.c,
//! common/parallel/domains.c).

pub mod domain_xml;

use domain_xml::{DiskSource, SecretRef};
use std::mem::ManuallyDrop;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

pub use virt::connect::Connect as Connection;
pub use virt::error::Error as LibvirtError;

/// Opens a connection to `uri` (libvirt's default when None) with libvirt's default
/// authentication (prompting on the terminal when the URI needs it). `read_only` connections
/// are what a non-root user may open on `qemu:///system`; they cannot read secrets.
pub fn connect(uri: Option<&str>, read_only: bool) -> Result<Connect, String> {
    let uri_c = match uri.map(std::ffi::CString::new).transpose() {
        Ok(u) => u,
        Err(_) => return Err("could not connect to libvirt: the URI contains a NUL byte".into()),
    };
    let flags = if read_only { sys::VIR_CONNECT_RO } else { 0 };
    // SAFETY: the URI is a valid C string or NULL; virConnectAuthPtrDefault is libvirt's own
    // static authentication description; the connection returned is owned by `Connect`.
    let conn = unsafe {
        sys::virConnectOpenAuth(
            uri_c.as_ref().map_or(std::ptr::null(), |u| u.as_ptr()),
            sys::virConnectAuthPtrDefault,
            flags,
        )
    };
    if conn.is_null() {
        let err = LibvirtError::last_error();
        return Err(format!(
            "could not connect to libvirt (code {}, domain {}): {}",
            err.code().to_raw(),
            err.domain().to_raw(),
            err.message()
        ));
    }
    // SAFETY: `conn` is a new, valid connection whose reference `Connect` now owns. Errors of
    // later calls are returned to the caller, not printed by libvirt on stderr.
    unsafe {
        sys::virConnSetErrorFunc(conn, std::ptr::null_mut(), Some(ignore_errors));
        Ok(Connect::from_ptr(conn))
    }
}

extern "C" fn ignore_errors(_data: *mut std::ffi::c_void, _err: sys::virErrorPtr) {}

/// The domain called `name`, or whose UUID is `name` when `allow_uuid` (tried first).
pub fn lookup(conn: &Connect, name: &str, allow_uuid: bool) -> Result<Domain, String> {
    if allow_uuid {
        if let Ok(d) = conn.lookup_domain_by_uuid_string(name) {
            return Ok(d);
        }
    }
    conn.lookup_domain_by_name(name)
        .map_err(|e| format!("no libvirt domain called ‘{}’: {}", name, e.message()))
}

/// A domain held by a caller of `add_libvirt_dom`, given as its `virDomainPtr`.
///
/// # Safety
/// `ptr` must be a valid `virDomainPtr` that stays alive for the borrow's lifetime.
pub(crate) unsafe fn borrow_domain(ptr: usize) -> ManuallyDrop<Domain> {
    ManuallyDrop::new(Domain::from_ptr(ptr as sys::virDomainPtr))
}

/// Refuses a domain that is not shut off (writing to a running guest's disks corrupts them).
pub(crate) fn refuse_running(dom: &Domain) -> Result<(), String> {
    let info = dom
        .info()
        .map_err(|e| format!("error getting domain info: {}", e.message()))?;
    if info.state.to_raw() != sys::VIR_DOMAIN_SHUTOFF {
        return Err("error: domain is a live virtual machine.\n\
                    Writing to the disks of a running virtual machine can cause disk corruption.\n\
                    Use read-only access.  In most libguestfs tools use --ro."
            .into());
    }
    Ok(())
}

/// The domain's XML description.
pub(crate) fn domain_xml(dom: &Domain) -> Result<String, String> {
    dom.xml_desc(0)
        .map_err(|e| format!("error reading libvirt XML information: {}", e.message()))
}

/// True when a disk of the XML needs a secret (a read-only connection cannot read it).
pub(crate) fn needs_secrets(disks: &[domain_xml::Disk]) -> bool {
    disks
        .iter()
        .any(|d| matches!(&d.source, DiskSource::Network { auth: Some(_), .. }))
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
/// domain's connection. `Ok(None)`: the disk is left out, after `Err`-worthy messages
/// 1.48 reports without failing (returned in the `Vec` for the caller to report).
pub(crate) fn drive_source(
    dom: &Domain,
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
    match source {
        DiskSource::File(f) | DiskSource::Block(f) => Some(plain(f)),
        DiskSource::Volume { pool, volume } => {
            let conn = dom.connect().ok()?;
            match volume_path(&conn, pool, volume) {
                Ok(Some(path)) => Some(plain(&path)),
                Ok(None) => None,
                Err(msg) => {
                    reported.push(msg);
                    None
                }
            }
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
                    let conn = dom.connect().ok()?;
                    match secret_value(&conn, &a.secret_type, &a.secret) {
                        Ok(Some(v)) => (Some(a.username.clone()), Some(v)),
                        Ok(None) => return None,
                        Err(msg) => {
                            reported.push(msg);
                            return None;
                        }
                    }
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

/// The file of a storage pool volume; None for volumes that are not files.
fn volume_path(conn: &Connect, pool: &str, volume: &str) -> Result<Option<String>, String> {
    let p = conn
        .lookup_storage_pool_by_name(pool)
        .map_err(|e| format!("no libvirt pool called ‘{}’: {}", pool, e.message()))?;
    let v = p.lookup_storage_vol_by_name(volume).map_err(|e| {
        format!(
            "no volume called ‘{}’ in the libvirt pool ‘{}’: {}",
            volume,
            pool,
            e.message()
        )
    })?;
    let info = v.info().map_err(|e| {
        format!(
            "cannot get information of the libvirt volume ‘{}’: {}",
            volume,
            e.message()
        )
    })?;
    if info.kind != sys::VIR_STORAGE_VOL_FILE {
        return Ok(None);
    }
    v.path().map(Some).map_err(|e| {
        format!(
            "cannot get the filename of the libvirt volume ‘{}’: {}",
            volume,
            e.message()
        )
    })
}

/// A secret's value: base64 for `ceph` secrets (as qemu wants them), else the bytes as text.
/// None for a usage secret of a type libvirt does not know (the disk is skipped).
fn secret_value(
    conn: &Connect,
    secret_type: &str,
    secret: &SecretRef,
) -> Result<Option<String>, String> {
    let (found, named) = match secret {
        SecretRef::Uuid(uuid) => (
            conn.lookup_secret_by_uuid_string(uuid)
                .map_err(|e| format!("no secret with UUID ‘{}’: {}", uuid, e.message())),
            format!("UUID ‘{}’", uuid),
        ),
        SecretRef::Usage(usage) => {
            let usage_type = match secret_type {
                "none" => sys::VIR_SECRET_USAGE_TYPE_NONE,
                "volume" => sys::VIR_SECRET_USAGE_TYPE_VOLUME,
                "ceph" => sys::VIR_SECRET_USAGE_TYPE_CEPH,
                "iscsi" => sys::VIR_SECRET_USAGE_TYPE_ISCSI,
                _ => return Ok(None),
            };
            (
                conn.lookup_secret_by_usage(usage_type as i32, usage)
                    .map_err(|e| format!("no secret for usage ‘{}’: {}", usage, e.message())),
                format!("usage ‘{}’", usage),
            )
        }
    };
    let value = found?.value(0).map_err(|e| {
        format!(
            "cannot get the value of the secret with {}: {}",
            named,
            e.message()
        )
    })?;
    Ok(Some(if secret_type == "ceph" {
        base64(&value)
    } else {
        String::from_utf8_lossy(&value).into_owned()
    }))
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

/// A guest of the all-guests mode of virt-df and virt-alignment-scan.
pub struct Guest {
    pub name: String,
    pub uuid: Option<String>,
    domain: Domain,
}

impl Guest {
    /// The `virDomainPtr` to give `add_libvirt_dom`; valid while this `Guest` lives.
    pub fn domain_pointer(&self) -> usize {
        // SAFETY: only the pointer value is taken; `self.domain` keeps the reference.
        unsafe { self.domain.as_ptr() as usize }
    }
}

/// Every domain of the connection, running ones and defined ones, sorted by name, on a
/// read-only connection (libguestfs-common's `get_all_libvirt_domains`).
pub fn all_guests(uri: Option<&str>) -> Result<(Connect, Vec<Guest>), String> {
    let conn = connect(uri, true)?;
    let failed = |what: &str, e: LibvirtError| {
        format!(
            "could not {} (code {}, domain {}): {}",
            what,
            e.code().to_raw(),
            e.domain().to_raw(),
            e.message()
        )
    };
    let ids = conn
        .list_domains()
        .map_err(|e| failed("list running domains", e))?;
    let mut guests = Vec::new();
    // Transient errors (a domain going away meanwhile) are ignored. Id 0 is Xen's dom0.
    for id in ids.into_iter().filter(|&id| id != 0) {
        if let Ok(d) = conn.lookup_domain_by_id(id) {
            guests.push(guest(d));
        }
    }
    let names = conn
        .list_defined_domains()
        .map_err(|e| failed("list inactive domains", e))?;
    for name in names {
        if let Ok(d) = conn.lookup_domain_by_name(&name) {
            guests.push(guest(d));
        }
    }
    guests.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok((conn, guests))
}

fn guest(domain: Domain) -> Guest {
    Guest {
        name: domain.name().unwrap_or_default(),
        uuid: domain.uuid_string().ok(),
        domain,
    }
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_pads_like_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}

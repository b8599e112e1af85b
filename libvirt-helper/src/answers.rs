//! The answers, through libvirt (the `virt` crate), with libguestfs 1.48's messages
//! (lib/libvirt-domain.c, common/parallel/domains.c).

use serde_json::{json, Value};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::Error as LibvirtError;
use virt::sys;

/// The answer to one command line (see main.rs for the commands).
pub fn answer(args: &[String]) -> Result<Value, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["list", uri] => list(&connect(uri, true)?),
        ["domain", uri, access, by, name] => {
            let conn = connect(uri, read_only(access)?)?;
            let dom = lookup(&conn, name, *by == "uuid")?;
            let xml = dom
                .xml_desc(0)
                .map_err(|e| format!("error reading libvirt XML information: {}", e.message()))?;
            let info = dom
                .info()
                .map_err(|e| format!("error getting domain info: {}", e.message()))?;
            Ok(json!({ "xml": xml, "running": info.state.to_raw() != sys::VIR_DOMAIN_SHUTOFF }))
        }
        ["volume", uri, access, pool, volume] => {
            volume_path(&connect(uri, read_only(access)?)?, pool, volume)
        }
        ["secret", uri, "uuid", uuid] => {
            let conn = connect(uri, false)?;
            let secret = conn
                .lookup_secret_by_uuid_string(uuid)
                .map_err(|e| format!("no secret with UUID ‘{}’: {}", uuid, e.message()))?;
            secret_value(&secret, &format!("UUID ‘{}’", uuid))
        }
        ["secret", uri, "usage", kind, usage] => {
            let usage_type = match *kind {
                "none" => sys::VIR_SECRET_USAGE_TYPE_NONE,
                "volume" => sys::VIR_SECRET_USAGE_TYPE_VOLUME,
                "ceph" => sys::VIR_SECRET_USAGE_TYPE_CEPH,
                "iscsi" => sys::VIR_SECRET_USAGE_TYPE_ISCSI,
                _ => return Ok(Value::Null),
            };
            let conn = connect(uri, false)?;
            let secret = conn
                .lookup_secret_by_usage(usage_type as i32, usage)
                .map_err(|e| format!("no secret for usage ‘{}’: {}", usage, e.message()))?;
            secret_value(&secret, &format!("usage ‘{}’", usage))
        }
        _ => Err(format!(
            "virt-tools-libvirt: unknown request: {}",
            args.join(" ")
        )),
    }
}

fn read_only(access: &str) -> Result<bool, String> {
    match access {
        "ro" => Ok(true),
        "rw" => Ok(false),
        _ => Err(format!(
            "virt-tools-libvirt: access is ro or rw, not {}",
            access
        )),
    }
}

/// Opens a connection to `uri` (`-`: libvirt's default) with libvirt's default authentication
/// (prompting on the terminal when the URI needs it). Read-only connections are what a
/// non-root user may open on `qemu:///system`; they cannot read secrets.
fn connect(uri: &str, read_only: bool) -> Result<Connect, String> {
    let uri_c = match (uri != "-")
        .then(|| std::ffi::CString::new(uri))
        .transpose()
    {
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
        return Err(failed("connect to libvirt", LibvirtError::last_error()));
    }
    // SAFETY: `conn` is a new, valid connection whose reference `Connect` now owns. Errors of
    // later calls are returned in the answer, not printed by libvirt on stderr.
    unsafe {
        sys::virConnSetErrorFunc(conn, std::ptr::null_mut(), Some(ignore_errors));
        Ok(Connect::from_ptr(conn))
    }
}

extern "C" fn ignore_errors(_data: *mut std::ffi::c_void, _err: sys::virErrorPtr) {}

/// libguestfs-common's layout of a libvirt error.
fn failed(what: &str, e: LibvirtError) -> String {
    format!(
        "could not {} (code {}, domain {}): {}",
        what,
        e.code().to_raw(),
        e.domain().to_raw(),
        e.message()
    )
}

/// The domain called `name`, or whose UUID is `name` when `allow_uuid` (tried first).
fn lookup(conn: &Connect, name: &str, allow_uuid: bool) -> Result<Domain, String> {
    if allow_uuid {
        if let Ok(d) = conn.lookup_domain_by_uuid_string(name) {
            return Ok(d);
        }
    }
    conn.lookup_domain_by_name(name)
        .map_err(|e| format!("no libvirt domain called ‘{}’: {}", name, e.message()))
}

/// Every domain, running ones and defined ones, sorted by name (libguestfs-common's
/// `get_all_libvirt_domains`). Domains going away meanwhile are left out; id 0 is Xen's dom0.
fn list(conn: &Connect) -> Result<Value, String> {
    let ids = conn
        .list_domains()
        .map_err(|e| failed("list running domains", e))?;
    let mut domains: Vec<Domain> = ids
        .into_iter()
        .filter(|&id| id != 0)
        .filter_map(|id| conn.lookup_domain_by_id(id).ok())
        .collect();
    let names = conn
        .list_defined_domains()
        .map_err(|e| failed("list inactive domains", e))?;
    domains.extend(
        names
            .iter()
            .filter_map(|name| conn.lookup_domain_by_name(name).ok()),
    );
    let mut guests: Vec<(String, Option<String>)> = domains
        .iter()
        .map(|d| (d.name().unwrap_or_default(), d.uuid_string().ok()))
        .collect();
    guests.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(guests
        .into_iter()
        .map(|(name, uuid)| json!({ "name": name, "uuid": uuid }))
        .collect())
}

/// The file of a storage pool volume; null for volumes that are not files.
fn volume_path(conn: &Connect, pool: &str, volume: &str) -> Result<Value, String> {
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
        return Ok(Value::Null);
    }
    v.path().map(Value::String).map_err(|e| {
        format!(
            "cannot get the filename of the libvirt volume ‘{}’: {}",
            volume,
            e.message()
        )
    })
}

/// A secret's value as hex (the bytes may be anything).
fn secret_value(secret: &virt::secret::Secret, named: &str) -> Result<Value, String> {
    let value = secret.value(0).map_err(|e| {
        format!(
            "cannot get the value of the secret with {}: {}",
            named,
            e.message()
        )
    })?;
    Ok(Value::String(
        value.iter().map(|b| format!("{:02x}", b)).collect(),
    ))
}

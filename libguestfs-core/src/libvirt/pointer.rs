//! A `virDomainPtr` given to `add_libvirt_dom`: its caller has libvirt loaded, so the domain's
//! connection URI and UUID are read through that libvirt (found with `dlopen(RTLD_NOLOAD)`,
//! which never loads it), and the domain is then described by `virt-tools-libvirt` like any
//! other. Only these three libvirt functions are called in this process.

use std::ffi::{c_char, c_int, c_void, CStr};

type GetConnect = unsafe extern "C" fn(*mut c_void) -> *mut c_void;
type GetUri = unsafe extern "C" fn(*mut c_void) -> *mut c_char;
type GetUuidString = unsafe extern "C" fn(*mut c_void, *mut c_char) -> c_int;

/// The connection URI and the UUID of the domain `dom`.
///
/// # Safety
/// `dom` must be a valid `virDomainPtr` of the libvirt loaded in this process, alive for the
/// duration of the call.
pub(crate) unsafe fn domain_identity(dom: usize) -> Result<(String, String), String> {
    let libvirt = libc::dlopen(c"libvirt.so.0".as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
    if libvirt.is_null() {
        return Err(
            "add_libvirt_dom: dom: libvirt is not loaded in this process, so this is not a domain pointer"
                .into(),
        );
    }
    let symbol = |name: &CStr| {
        let f = libc::dlsym(libvirt, name.as_ptr());
        (!f.is_null()).then_some(f)
    };
    let found = (
        symbol(c"virDomainGetConnect"),
        symbol(c"virConnectGetURI"),
        symbol(c"virDomainGetUUIDString"),
    );
    let result = match found {
        (Some(get_connect), Some(get_uri), Some(get_uuid)) => {
            // SAFETY: the symbols are libvirt's functions of these C signatures.
            let get_connect: GetConnect = std::mem::transmute(get_connect);
            let get_uri: GetUri = std::mem::transmute(get_uri);
            let get_uuid: GetUuidString = std::mem::transmute(get_uuid);
            identity(dom as *mut c_void, get_connect, get_uri, get_uuid)
        }
        _ => Err("add_libvirt_dom: the loaded libvirt lacks virDomainGetConnect, virConnectGetURI or virDomainGetUUIDString".into()),
    };
    libc::dlclose(libvirt);
    result
}

unsafe fn identity(
    dom: *mut c_void,
    get_connect: GetConnect,
    get_uri: GetUri,
    get_uuid: GetUuidString,
) -> Result<(String, String), String> {
    // VIR_UUID_STRING_BUFLEN: 36 characters and the NUL.
    let mut uuid = [0 as c_char; 37];
    if get_uuid(dom, uuid.as_mut_ptr()) != 0 {
        return Err("add_libvirt_dom: could not get the domain's UUID".into());
    }
    let conn = get_connect(dom);
    let uri = if conn.is_null() {
        std::ptr::null_mut()
    } else {
        get_uri(conn)
    };
    if uri.is_null() {
        return Err("add_libvirt_dom: could not get the domain's connection URI".into());
    }
    let uri_text = CStr::from_ptr(uri).to_string_lossy().into_owned();
    // virConnectGetURI's string is the caller's to free.
    libc::free(uri.cast());
    let uuid_text = CStr::from_ptr(uuid.as_ptr()).to_string_lossy().into_owned();
    Ok((uri_text, uuid_text))
}

//! A `virDomainPtr` given to `add_libvirt_dom`: its caller has libvirt loaded, so the domain's
//! connection URI and name are read through that libvirt (found with `dlopen(RTLD_NOLOAD)`,
//! which never loads it), and the domain is then described by `virt-tools-libvirt` like any
//! other (by name: libvirt's test driver gives a domain defined without a UUID a new random one
//! on every connection). Only these three libvirt functions are called in this process.

use std::ffi::{c_char, c_void, CStr};

type GetConnect = unsafe extern "C" fn(*mut c_void) -> *mut c_void;
type GetUri = unsafe extern "C" fn(*mut c_void) -> *mut c_char;
type GetName = unsafe extern "C" fn(*mut c_void) -> *const c_char;

/// The connection URI and the name of the domain `dom`.
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
        symbol(c"virDomainGetName"),
    );
    let result = match found {
        (Some(get_connect), Some(get_uri), Some(get_name)) => {
            // SAFETY: the symbols are libvirt's functions of these C signatures.
            let get_connect: GetConnect = std::mem::transmute(get_connect);
            let get_uri: GetUri = std::mem::transmute(get_uri);
            let get_name: GetName = std::mem::transmute(get_name);
            identity(dom as *mut c_void, get_connect, get_uri, get_name)
        }
        _ => Err("add_libvirt_dom: the loaded libvirt lacks virDomainGetConnect, virConnectGetURI or virDomainGetName".into()),
    };
    libc::dlclose(libvirt);
    result
}

unsafe fn identity(
    dom: *mut c_void,
    get_connect: GetConnect,
    get_uri: GetUri,
    get_name: GetName,
) -> Result<(String, String), String> {
    // The domain's own string, not to be freed.
    let name = get_name(dom);
    if name.is_null() {
        return Err("add_libvirt_dom: could not get the domain's name".into());
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
    let name_text = CStr::from_ptr(name).to_string_lossy().into_owned();
    Ok((uri_text, name_text))
}

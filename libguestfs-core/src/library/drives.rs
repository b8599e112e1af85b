//! Drives: `add_drive` with every optional argument and libguestfs 1.48's checks and messages
//! (files, `/dev/null`, network protocols), the calls built on it (`add_drive_ro`,
//! `add_drive_scratch`, `add_cdrom`, …), `debug_drives`, `device_index` and `max_disks`.

use crate::drive::*;
use crate::error::{Error, Result};
use crate::handle::{Handle, State};
use crate::libvirt::{self, domain_xml};
use guestfs_protocol::calls::{
    AddDomainOpts, AddDriveOpts, AddDriveScratchOpts, AddLibvirtDomOpts,
};

/// `add_libvirt_dom`'s `readonlydisk`: what to do with a disk marked `<readonly/>` when the
/// domain is added read/write (read-only, every such disk is added read-only, or skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadonlyDisk {
    Error,
    Read,
    Write,
    Ignore,
}

/// The `readonlydisk` mode of the optional arguments, refusing `live` (removed in 1.48).
fn readonlydisk_mode(opts: &AddLibvirtDomOpts) -> Result<ReadonlyDisk> {
    let mode = match opts.readonlydisk.as_deref() {
        None | Some("write") => ReadonlyDisk::Write,
        Some("error") => ReadonlyDisk::Error,
        Some("read") => ReadonlyDisk::Read,
        Some("ignore") => ReadonlyDisk::Ignore,
        Some(_) => return Err(Error::msg("unknown readonlydisk parameter")),
    };
    if opts.live == Some(true) {
        return Err(Error::msg(LIVE_REMOVED));
    }
    Ok(mode)
}

/// The port of `nbd` in /etc/services.
const NBD_PORT: u16 = 10809;
const LIVE_REMOVED: &str = "libguestfs live support was removed in libguestfs 1.48";
/// Writing to a running guest's disks corrupts them.
const RUNNING_REFUSED: &str = "error: domain is a live virtual machine.\n\
    Writing to the disks of a running virtual machine can cause disk corruption.\n\
    Use read-only access.  In most libguestfs tools use --ro.";
const NO_HOTPLUG: &str = "hotplugging support was removed in libguestfs 1.48";

/// libguestfs's `string_is_valid`: a length in `min..=max` (max 0: no limit), every character
/// an ASCII letter, a digit when `digits`, or one of `extra`.
fn string_is_valid(s: &str, min: usize, max: usize, digits: bool, extra: &str) -> bool {
    s.len() >= min
        && (max == 0 || s.len() <= max)
        && s.chars()
            .all(|c| c.is_ascii_alphabetic() || (digits && c.is_ascii_digit()) || extra.contains(c))
}

fn valid_format_or_iface(s: &str) -> bool {
    string_is_valid(s, 1, 0, true, "-_")
}

fn valid_hostname(s: &str) -> bool {
    string_is_valid(s, 1, 255, true, "-.:[]")
}

/// One `server` string: `tcp:HOST[:PORT]`, `unix:SOCKET`, or `HOST[:PORT]`.
fn parse_server(server: &str) -> Result<Server> {
    let (transport, rest) = if let Some(r) = server.strip_prefix("tcp:") {
        (Transport::Tcp, r)
    } else if let Some(socket) = server.strip_prefix("unix:") {
        if socket.is_empty() {
            return Err(Error::msg("missing Unix domain socket path"));
        }
        return Ok(Server {
            transport: Transport::Unix,
            host: socket.to_string(),
            port: 0,
        });
    } else {
        (Transport::Unspecified, server)
    };
    // HOST:DIGITS, the host taking as much as it can.
    if let Some((host, port)) = rest.rsplit_once(':') {
        if !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit()) {
            let port = match port.parse::<u32>() {
                Ok(p) if (1..=65535).contains(&p) => p as u16,
                _ => return Err(Error::msg(format!("invalid port number ‘{}’", port))),
            };
            if !valid_hostname(host) {
                return Err(Error::msg(format!("invalid hostname ‘{}’", host)));
            }
            return Ok(Server {
                transport,
                host: host.to_string(),
                port,
            });
        }
    }
    if !valid_hostname(rest) {
        return Err(Error::msg(format!(
            "invalid hostname or server string ‘{}’",
            rest
        )));
    }
    Ok(Server {
        transport,
        host: rest.to_string(),
        port: 0,
    })
}

/// The per-protocol checks of a network drive (libguestfs's `create_drive_*`).
fn check_network_drive(d: &mut Drive) -> Result<()> {
    let p = d.protocol.name();
    let fail = |what: &str| Err(Error::msg(format!("{}: {}", p, what)));
    let no_credentials = |d: &Drive| {
        if d.username.is_some() {
            return fail("you cannot specify a username with this protocol");
        }
        if d.secret.is_some() {
            return fail("you cannot specify a secret with this protocol");
        }
        Ok(())
    };
    let one_server = |d: &Drive| {
        if d.servers.len() != 1 {
            return fail("you must specify exactly one server");
        }
        Ok(())
    };
    let tcp_only = |d: &Drive| {
        if d.servers.iter().any(|s| s.transport == Transport::Unix) {
            return fail("only tcp transport is supported");
        }
        Ok(())
    };
    let ports_given = |d: &Drive| {
        if d.servers.iter().any(|s| s.port == 0) {
            return fail("port number must be specified");
        }
        Ok(())
    };
    let starts_with_slash = d.path.starts_with('/');
    match d.protocol {
        Protocol::File => unreachable!("file drives are not network drives"),
        pr if pr.is_curl() || pr == Protocol::Ssh => {
            one_server(d)?;
            tcp_only(d)?;
            if d.path.is_empty() {
                return fail("pathname should not be an empty string");
            }
            if !starts_with_slash {
                return fail("pathname must begin with a '/'");
            }
            if pr == Protocol::Ssh && d.username.as_deref() == Some("") {
                return fail("username should not be an empty string");
            }
        }
        Protocol::Gluster => {
            no_credentials(d)?;
            one_server(d)?;
            if d.path.is_empty() {
                return fail("volume name parameter should not be an empty string");
            }
            if starts_with_slash {
                return fail("volume/image must not begin with a '/'");
            }
        }
        Protocol::Nbd => {
            no_credentials(d)?;
            one_server(d)?;
            if d.servers[0].port == 0 {
                d.servers[0].port = NBD_PORT;
            }
        }
        Protocol::Rbd => {
            tcp_only(d)?;
            ports_given(d)?;
            if d.path.is_empty() {
                return fail("image name parameter should not be an empty string");
            }
            if starts_with_slash {
                return fail("image name must not begin with a '/'");
            }
        }
        Protocol::Sheepdog => {
            no_credentials(d)?;
            tcp_only(d)?;
            ports_given(d)?;
            if d.path.is_empty() {
                return fail("volume parameter should not be an empty string");
            }
            if starts_with_slash {
                return fail("volume parameter must not begin with a '/'");
            }
        }
        Protocol::Iscsi => {
            one_server(d)?;
            tcp_only(d)?;
            if d.path.is_empty() {
                return fail("target name should not be an empty string");
            }
            if starts_with_slash {
                return fail("target string must not begin with a '/'");
            }
        }
        _ => unreachable!("every protocol is handled above"),
    }
    Ok(())
}

/// `add_drive`'s optional arguments checked in 1.48's order, as a drive of `filename`
/// (the file checks and `/dev/null` come after).
fn drive_from_opts(filename: &str, opts: AddDriveOpts) -> Result<Drive> {
    let servers = match &opts.server {
        Some(list) => list
            .iter()
            .map(|s| parse_server(s))
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let discard = match opts.discard.as_deref() {
        None | Some("disable") => Discard::Disable,
        Some("enable") => Discard::Enable,
        Some("besteffort") => Discard::BestEffort,
        Some(_) => {
            return Err(Error::msg(
                "discard parameter must be ‘disable’, ‘enable’ or ‘besteffort’",
            ))
        }
    };
    let readonly = opts.readonly.unwrap_or(false);
    if readonly && discard == Discard::Enable {
        return Err(Error::msg(
            "discard support cannot be enabled on read-only drives",
        ));
    }
    for (what, value) in [("format", &opts.format), ("iface", &opts.iface)] {
        if value.as_deref().is_some_and(|v| !valid_format_or_iface(v)) {
            return Err(Error::msg(format!(
                "{} parameter is empty or contains disallowed characters",
                what
            )));
        }
    }
    if opts
        .label
        .as_deref()
        .is_some_and(|l| !string_is_valid(l, 1, 20, false, ""))
    {
        return Err(Error::msg(
            "label parameter is empty, too long, or contains disallowed characters",
        ));
    }
    if opts
        .cachemode
        .as_deref()
        .is_some_and(|c| c != "writeback" && c != "unsafe")
    {
        return Err(Error::msg(
            "cachemode parameter must be ‘writeback’ (default) or ‘unsafe’",
        ));
    }
    let blocksize = match opts.blocksize {
        None | Some(0) => 0,
        Some(b @ (512 | 4096)) => b as u32,
        Some(_) => return Err(Error::msg("blocksize parameter is invalid")),
    };
    let protocol_name = opts.protocol.as_deref().unwrap_or("file");
    let protocol = Protocol::parse(protocol_name)
        .ok_or_else(|| Error::msg(format!("unknown protocol ‘{}’", protocol_name)))?;
    Ok(Drive {
        protocol,
        servers,
        path: filename.to_string(),
        username: opts.username,
        secret: opts.secret,
        format: opts.format,
        readonly,
        iface: opts.iface,
        name: opts.name,
        label: opts.label,
        cachemode: opts.cachemode,
        discard,
        copyonread: opts.copyonread.unwrap_or(false),
        blocksize,
    })
}

impl Handle {
    /// Adds a disk image, a network disk, or `/dev/null` (an empty 4 KiB disk).
    pub(crate) fn impl_add_drive(&mut self, filename: &str, opts: AddDriveOpts) -> Result<()> {
        let mut drive = drive_from_opts(filename, opts)?;
        if drive.protocol == Protocol::File {
            if !drive.servers.is_empty() {
                return Err(Error::msg(
                    "you cannot specify a server with file-backed disks",
                ));
            }
            if drive.username.is_some() {
                return Err(Error::msg(
                    "you cannot specify a username with file-backed disks",
                ));
            }
            if drive.secret.is_some() {
                return Err(Error::msg(
                    "you cannot specify a secret with file-backed disks",
                ));
            }
            if filename == "/dev/null" {
                self.null_drive(&mut drive)?;
            } else {
                check_readable(filename)?;
            }
        } else {
            check_network_drive(&mut drive)?;
        }
        if self.state != State::Config {
            return Err(Error::msg(NO_HOTPLUG));
        }
        self.drives.push(drive);
        Ok(())
    }

    /// `/dev/null` becomes an empty raw disk of 4 KiB in the handle's temporary directory
    /// (writable: no overlay is needed for a throw-away file).
    fn null_drive(&mut self, drive: &mut Drive) -> Result<()> {
        match drive.format.as_deref() {
            None => drive.format = Some("raw".to_string()),
            Some("raw") => {}
            Some(_) => return Err(Error::msg("for device ‘/dev/null’, format must be ‘raw’")),
        }
        let tmpfile = self.temp_file("devnull", Some("img"))?;
        let tmpfile = tmpfile.display().to_string();
        self.disk_create(&tmpfile, "raw", 4096, Default::default())?;
        drive.path = tmpfile;
        drive.readonly = false;
        drive.discard = Discard::Disable;
        drive.copyonread = false;
        Ok(())
    }

    pub(crate) fn impl_add_drive_ro(&mut self, filename: &str) -> Result<()> {
        self.add_drive(
            filename,
            AddDriveOpts {
                readonly: Some(true),
                ..Default::default()
            },
        )
    }

    pub(crate) fn impl_add_drive_with_if(&mut self, filename: &str, iface: &str) -> Result<()> {
        self.add_drive(
            filename,
            AddDriveOpts {
                iface: Some(iface.to_string()),
                ..Default::default()
            },
        )
    }

    pub(crate) fn impl_add_drive_ro_with_if(&mut self, filename: &str, iface: &str) -> Result<()> {
        self.add_drive(
            filename,
            AddDriveOpts {
                readonly: Some(true),
                iface: Some(iface.to_string()),
                ..Default::default()
            },
        )
    }

    pub(crate) fn impl_add_cdrom(&mut self, filename: &str) -> Result<()> {
        self.impl_add_drive_ro(filename)
    }

    /// A new empty raw disk of `size` bytes in the handle's temporary directory, removed with
    /// the handle.
    pub(crate) fn impl_add_drive_scratch(
        &mut self,
        size: i64,
        opts: AddDriveScratchOpts,
    ) -> Result<()> {
        let filename = self.temp_file("scratch", Some("img"))?;
        let filename = filename.display().to_string();
        self.disk_create(&filename, "raw", size, Default::default())?;
        self.add_drive(
            &filename,
            AddDriveOpts {
                format: Some("raw".to_string()),
                cachemode: Some("unsafe".to_string()),
                name: opts.name,
                label: opts.label,
                blocksize: opts.blocksize,
                ..Default::default()
            },
        )
    }

    pub(crate) fn impl_remove_drive(&mut self, _label: &str) -> Result<()> {
        Err(Error::msg(NO_HOTPLUG))
    }

    /// Adds every disk of the libvirt domain `dom` (by name, or UUID with `allowuuid`).
    /// Read-only use reads the domain over a read-only connection (which a non-root user may
    /// open on `qemu:///system`); secrets are always read over a read-write one.
    pub(crate) fn impl_add_domain(&mut self, dom: &str, opts: AddDomainOpts) -> Result<i32> {
        if opts.live == Some(true) {
            return Err(Error::msg(LIVE_REMOVED));
        }
        let domain = libvirt::DomainRef {
            uri: opts.libvirturi.as_deref(),
            name: dom,
            by_uuid: opts.allowuuid == Some(true),
        };
        self.add_libvirt_domain(
            &domain,
            AddLibvirtDomOpts {
                readonly: opts.readonly,
                iface: opts.iface,
                live: opts.live,
                readonlydisk: opts.readonlydisk,
                cachemode: opts.cachemode,
                discard: opts.discard,
                copyonread: opts.copyonread,
            },
        )
    }

    /// Adds every disk of the domain `dom` (a `virDomainPtr`): all of them, or on error none.
    pub(crate) fn impl_add_libvirt_dom(
        &mut self,
        dom: usize,
        opts: AddLibvirtDomOpts,
    ) -> Result<i32> {
        if dom == 0 {
            return Err(Error::msg(
                "add_libvirt_dom: dom: the domain pointer is NULL",
            ));
        }
        readonlydisk_mode(&opts)?;
        // SAFETY: the caller of add_libvirt_dom holds the domain for the call's duration.
        let (uri, name) = unsafe { libvirt::domain_identity(dom) }.map_err(Error::msg)?;
        let domain = libvirt::DomainRef {
            uri: Some(&uri),
            name: &name,
            by_uuid: false,
        };
        self.add_libvirt_domain(&domain, opts)
    }

    /// `add_libvirt_dom`'s work on a domain found through `virt-tools-libvirt`. As in 1.48,
    /// a domain that cannot be found is reported before bad optional arguments.
    fn add_libvirt_domain(
        &mut self,
        domain: &libvirt::DomainRef,
        opts: AddLibvirtDomOpts,
    ) -> Result<i32> {
        let readonly = opts.readonly == Some(true);
        let description = libvirt::describe(domain, readonly).map_err(Error::msg)?;
        let readonlydisk = readonlydisk_mode(&opts)?;
        if !readonly && description.running {
            return Err(Error::msg(RUNNING_REFUSED));
        }
        let xml = description.xml;
        let disks = domain_xml::disks(&xml)
            .map_err(|_| Error::msg("unable to parse XML information returned by libvirt"))?;
        // sVirt labels for a libvirt backend, set before the disks as 1.48 does.
        let label = domain_xml::selinux_label(&xml)
            .map_err(|_| Error::msg("unable to parse XML information returned by libvirt"))?;
        const NORELABEL: &str = "internal_libvirt_norelabel_disks";
        match label {
            Some(l) => {
                self.set_backend_setting("internal_libvirt_label", &l.label)?;
                self.set_backend_setting("internal_libvirt_imagelabel", &l.imagelabel)?;
                self.set_backend_setting(NORELABEL, "1")?;
            }
            None => {
                self.clear_backend_setting(NORELABEL)?;
            }
        }
        let checkpoint = self.drives.len();
        let mut added = 0;
        for disk in &disks {
            let mut reported = Vec::new();
            let source = libvirt::drive_source(domain, readonly, &disk.source, &mut reported);
            // 1.48 reports these and carries on without the disk.
            for msg in reported {
                self.report_error("", Error::msg(msg));
            }
            let Some(source) = source else { continue };
            let drive_readonly = match (disk.readonly, readonly, readonlydisk) {
                (false, _, _) => Some(readonly),
                (true, _, ReadonlyDisk::Ignore) => None,
                (true, true, _) | (true, false, ReadonlyDisk::Read) => Some(true),
                (true, false, ReadonlyDisk::Write) => Some(false),
                (true, false, ReadonlyDisk::Error) => {
                    self.drives.truncate(checkpoint);
                    return Err(Error::msg(format!(
                        "{}: disk is marked <readonly/> in libvirt XML, and readonlydisk was set to \"error\"",
                        source.filename
                    )));
                }
            };
            added += 1;
            let Some(drive_readonly) = drive_readonly else {
                continue;
            };
            let r = self.add_drive(
                &source.filename,
                AddDriveOpts {
                    readonly: Some(drive_readonly),
                    format: disk.format.clone(),
                    iface: opts.iface.clone(),
                    cachemode: opts.cachemode.clone(),
                    discard: opts.discard.clone(),
                    copyonread: opts.copyonread.filter(|&c| c),
                    protocol: source.protocol,
                    server: source.servers,
                    username: source.username,
                    secret: source.secret,
                    blocksize: (disk.blocksize != 0).then_some(disk.blocksize),
                    ..Default::default()
                },
            );
            if let Err(e) = r {
                self.drives.truncate(checkpoint);
                return Err(e);
            }
        }
        if added == 0 {
            return Err(Error::msg("libvirt domain has no disks"));
        }
        Ok(added)
    }

    pub(crate) fn impl_debug_drives(&mut self) -> Result<Vec<String>> {
        Ok(self.drives.iter().map(Drive::describe).collect())
    }

    /// How many drives the configured backend takes; `unix:` cannot tell.
    pub(crate) fn impl_max_disks(&mut self) -> Result<i32> {
        if self.settings.backend.starts_with("unix:") {
            return Err(Error::new(
                libc::ENOTSUP,
                "the current backend does not allow max disks to be queried",
            ));
        }
        Ok(MAX_DISKS)
    }

    /// The index of a whole-disk name (`/dev/sdb` → 1, `/dev/vdab` → 27), as libguestfs
    /// computes it from the name alone.
    pub(crate) fn impl_device_index(&mut self, device: &str) -> Result<i32> {
        device_index(device).ok_or_else(|| Error::msg(format!("{}: device not found", device)))
    }
}

/// `access (filename, R_OK)`: the drive must be readable now.
fn check_readable(filename: &str) -> Result<()> {
    let c = std::ffi::CString::new(filename)
        .map_err(|_| Error::new(libc::EINVAL, format!("{}: invalid file name", filename)))?;
    // SAFETY: access with a valid C string.
    if unsafe { libc::access(c.as_ptr(), libc::R_OK) } == -1 {
        return Err(Error::from(std::io::Error::last_os_error()).context(filename));
    }
    Ok(())
}

/// `/dev/` then one or two letters up to the first `d` (`sd`, `hd`, `vd`, `xvd`), then the
/// drive letters; not LVs (`/dev/VG/LV`) nor md devices.
fn device_index(device: &str) -> Option<i32> {
    let name = device.strip_prefix("/dev/")?;
    if name.contains('/') || name.starts_with('m') {
        return None;
    }
    let prefix = name.find('d').unwrap_or(name.len());
    if prefix == 0 || prefix > 2 || prefix == name.len() {
        return None;
    }
    let letters = &name[prefix + 1..];
    let mut index: i64 = 0;
    for c in letters.bytes() {
        if !c.is_ascii_lowercase() {
            return None;
        }
        index = index.checked_mul(26)?.checked_add((c - b'a') as i64 + 1)?;
    }
    i32::try_from(index - 1).ok().filter(|&i| i >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_indexes() {
        assert_eq!(device_index("/dev/sda"), Some(0));
        assert_eq!(device_index("/dev/sdb"), Some(1));
        assert_eq!(device_index("/dev/vdaa"), Some(26));
        assert_eq!(device_index("/dev/xvdc"), Some(2));
        assert_eq!(device_index("/dev/sdb1"), None);
        assert_eq!(device_index("/dev/md0"), None);
        assert_eq!(device_index("/dev/VG/LV"), None);
        assert_eq!(device_index("/dev/sd"), None);
        assert_eq!(device_index("/dev/abcd"), None);
    }

    #[test]
    fn servers() {
        assert_eq!(
            parse_server("example.com:10809").unwrap(),
            Server {
                transport: Transport::Unspecified,
                host: "example.com".into(),
                port: 10809
            }
        );
        assert_eq!(parse_server("tcp:h").unwrap().transport, Transport::Tcp);
        assert_eq!(parse_server("unix:/s").unwrap().host, "/s");
        assert_eq!(
            parse_server("unix:").unwrap_err().message,
            "missing Unix domain socket path"
        );
        assert_eq!(
            parse_server("h:0").unwrap_err().message,
            "invalid port number ‘0’"
        );
        assert_eq!(
            parse_server("h/x:1").unwrap_err().message,
            "invalid hostname ‘h/x’"
        );
        assert_eq!(
            parse_server("a b").unwrap_err().message,
            "invalid hostname or server string ‘a b’"
        );
        assert_eq!(parse_server("[::1]:22").unwrap().host, "[::1]");
    }

    #[test]
    fn option_checks_in_order() {
        let err = |o: AddDriveOpts| drive_from_opts("x", o).unwrap_err().message;
        assert_eq!(
            err(AddDriveOpts {
                readonly: Some(true),
                discard: Some("enable".into()),
                ..Default::default()
            }),
            "discard support cannot be enabled on read-only drives"
        );
        assert_eq!(
            err(AddDriveOpts {
                format: Some("qcow 2".into()),
                ..Default::default()
            }),
            "format parameter is empty or contains disallowed characters"
        );
        assert_eq!(
            err(AddDriveOpts {
                label: Some("a123".into()),
                ..Default::default()
            }),
            "label parameter is empty, too long, or contains disallowed characters"
        );
        assert_eq!(
            err(AddDriveOpts {
                blocksize: Some(1024),
                ..Default::default()
            }),
            "blocksize parameter is invalid"
        );
        assert_eq!(
            err(AddDriveOpts {
                protocol: Some("smb".into()),
                ..Default::default()
            }),
            "unknown protocol ‘smb’"
        );
    }

    #[test]
    fn network_checks() {
        let check = |protocol: &str, path: &str, servers: &[&str]| {
            let mut d = drive_from_opts(
                path,
                AddDriveOpts {
                    protocol: Some(protocol.into()),
                    server: Some(servers.iter().map(|s| s.to_string()).collect()),
                    ..Default::default()
                },
            )?;
            check_network_drive(&mut d).map(|()| d)
        };
        assert_eq!(check("nbd", "", &["h"]).unwrap().servers[0].port, 10809);
        assert_eq!(
            check("http", "x", &["h"]).unwrap_err().message,
            "http: pathname must begin with a '/'"
        );
        assert_eq!(
            check("rbd", "pool/img", &["h"]).unwrap_err().message,
            "rbd: port number must be specified"
        );
        assert_eq!(
            check("iscsi", "iqn/0", &["h", "g"]).unwrap_err().message,
            "iscsi: you must specify exactly one server"
        );
        assert_eq!(
            check("ssh", "/d", &["unix:/s"]).unwrap_err().message,
            "ssh: only tcp transport is supported"
        );
    }

    #[test]
    fn describe_like_debug_drives() {
        let mut d = drive_from_opts(
            "/a.img",
            AddDriveOpts {
                readonly: Some(true),
                format: Some("raw".into()),
                label: Some("L".into()),
                blocksize: Some(4096),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            d.describe(),
            "/a.img readonly format=raw protocol=file label=L blocksize=4096"
        );
        d.readonly = false;
        d.discard = Discard::BestEffort;
        d.copyonread = true;
        assert_eq!(
            d.describe(),
            "/a.img format=raw protocol=file label=L discard=besteffort copyonread blocksize=4096"
        );
    }
}

//! A drive added to the handle: where its data is (a file or a network server), and how the
//! appliance attaches it. Filled in by `add_drive` (`library/drives.rs`), read by the backends.

use std::path::Path;

/// The most drives the appliance takes (the virtio-scsi targets the daemon scans).
pub(crate) const MAX_DISKS: i32 = 255;

/// How a drive is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    File,
    Ftp,
    Ftps,
    Gluster,
    Http,
    Https,
    Iscsi,
    Nbd,
    Rbd,
    Sheepdog,
    Ssh,
    Tftp,
}

impl Protocol {
    const ALL: [Protocol; 12] = [
        Protocol::File,
        Protocol::Ftp,
        Protocol::Ftps,
        Protocol::Gluster,
        Protocol::Http,
        Protocol::Https,
        Protocol::Iscsi,
        Protocol::Nbd,
        Protocol::Rbd,
        Protocol::Sheepdog,
        Protocol::Ssh,
        Protocol::Tftp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::File => "file",
            Protocol::Ftp => "ftp",
            Protocol::Ftps => "ftps",
            Protocol::Gluster => "gluster",
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Iscsi => "iscsi",
            Protocol::Nbd => "nbd",
            Protocol::Rbd => "rbd",
            Protocol::Sheepdog => "sheepdog",
            Protocol::Ssh => "ssh",
            Protocol::Tftp => "tftp",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The protocols qemu reaches through curl.
    pub(crate) fn is_curl(self) -> bool {
        matches!(
            self,
            Protocol::Ftp | Protocol::Ftps | Protocol::Http | Protocol::Https | Protocol::Tftp
        )
    }
}

/// How a server is reached: `tcp:` or nothing given, or a Unix socket (`unix:PATH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Unspecified,
    Tcp,
    Unix,
}

/// One `server` of a network drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub transport: Transport,
    /// The host name, or the socket path for [`Transport::Unix`].
    pub host: String,
    /// 0 when not given.
    pub port: u16,
}

/// The `discard` optional argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    Disable,
    Enable,
    BestEffort,
}

/// A drive added to the handle.
#[derive(Debug, Clone)]
pub struct Drive {
    pub protocol: Protocol,
    pub servers: Vec<Server>,
    /// The file name (file protocol), or the path, export, volume or target on the server.
    pub path: String,
    pub username: Option<String>,
    pub secret: Option<String>,
    pub format: Option<String>,
    pub readonly: bool,
    pub iface: Option<String>,
    pub name: Option<String>,
    pub label: Option<String>,
    pub cachemode: Option<String>,
    pub discard: Discard,
    pub copyonread: bool,
    /// 0 when not given (the disk's own, 512).
    pub blocksize: u32,
}

impl Drive {
    /// The local file (or block device) of a file-protocol drive.
    pub fn file(&self) -> Option<&Path> {
        (self.protocol == Protocol::File).then(|| Path::new(&self.path))
    }

    /// The sector size the guest sees.
    pub fn sector_size(&self) -> u32 {
        if self.blocksize == 0 {
            512
        } else {
            self.blocksize
        }
    }

    /// The line `debug_drives` prints for the drive.
    pub(crate) fn describe(&self) -> String {
        let mut s = self.path.clone();
        if self.readonly {
            s.push_str(" readonly");
        }
        if let Some(f) = &self.format {
            s.push_str(&format!(" format={}", f));
        }
        s.push_str(&format!(" protocol={}", self.protocol.name()));
        for (key, value) in [
            ("iface", &self.iface),
            ("name", &self.name),
            ("label", &self.label),
            ("cache", &self.cachemode),
        ] {
            if let Some(v) = value {
                s.push_str(&format!(" {}={}", key, v));
            }
        }
        match self.discard {
            Discard::Disable => {}
            Discard::Enable => s.push_str(" discard=enable"),
            Discard::BestEffort => s.push_str(" discard=besteffort"),
        }
        if self.copyonread {
            s.push_str(" copyonread");
        }
        if self.blocksize != 0 {
            s.push_str(&format!(" blocksize={}", self.blocksize));
        }
        s
    }
}

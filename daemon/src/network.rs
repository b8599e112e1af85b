//! The appliance's network, set up as 1.48's /init does: the loopback interface always, and
//! with `guestfs_network=1` the virtio network card on qemu's user network. 1.48 asks qemu's
//! DHCP server (dhclient); its answer is fixed, so the same configuration is set directly
//! here without a program: the address qemu's DHCP gives the first guest, its gateway, and
//! its DNS server in /etc/resolv.conf.

use crate::sys::errno;
use std::net::Ipv4Addr;

/// What qemu's user network (`net=169.254.0.0/16`, as the library asks for) gives a guest.
const ADDRESS: Ipv4Addr = Ipv4Addr::new(169, 254, 2, 15);
const NETMASK: Ipv4Addr = Ipv4Addr::new(255, 255, 0, 0);
const GATEWAY: Ipv4Addr = Ipv4Addr::new(169, 254, 2, 2);
const NAMESERVER: &str = "nameserver 169.254.2.3\n";

/// The kernel's `struct rtentry` (SIOCADDRT), which the libc crate lacks for glibc.
#[repr(C)]
struct RtEntry {
    rt_pad1: libc::c_ulong,
    rt_dst: libc::sockaddr,
    rt_gateway: libc::sockaddr,
    rt_genmask: libc::sockaddr,
    rt_flags: libc::c_ushort,
    rt_pad2: libc::c_short,
    rt_pad3: libc::c_ulong,
    rt_pad4: *mut libc::c_void,
    rt_metric: libc::c_short,
    rt_dev: *mut libc::c_char,
    rt_mtu: libc::c_ulong,
    rt_window: libc::c_ulong,
    rt_irtt: libc::c_ushort,
}

fn sockaddr(addr: Ipv4Addr) -> libc::sockaddr {
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(addr).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in and sockaddr have the same size; any bit pattern is valid.
    unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(sin) }
}

/// An interface request for `name` (truncated to the kernel's limit).
fn ifreq(name: &str) -> libc::ifreq {
    // SAFETY: ifreq is plain data; all zeroes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req
        .ifr_name
        .iter_mut()
        .zip(name.bytes().take(libc::IFNAMSIZ - 1))
    {
        *dst = src as libc::c_char;
    }
    req
}

/// A socket for the interface ioctls, closed when dropped.
struct Socket(libc::c_int);

impl Socket {
    fn new() -> Result<Socket, String> {
        // SAFETY: plain socket(2).
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd == -1 {
            return Err(format!("socket: {}", strerror()));
        }
        Ok(Socket(fd))
    }

    /// ioctl(2) with a pointer to `arg`; `what` names it in the error.
    fn ioctl<T>(&self, request: libc::c_ulong, arg: &mut T, what: &str) -> Result<(), String> {
        // SAFETY: `arg` is the structure this request reads or writes, alive for the call.
        if unsafe { libc::ioctl(self.0, request, arg as *mut T) } == -1 {
            return Err(format!("{}: {}", what, strerror()));
        }
        Ok(())
    }

    /// Gives `name` an IPv4 address and netmask, and brings it up.
    fn configure(&self, name: &str, addr: Ipv4Addr, mask: Ipv4Addr) -> Result<(), String> {
        let mut req = ifreq(name);
        req.ifr_ifru.ifru_addr = sockaddr(addr);
        self.ioctl(libc::SIOCSIFADDR, &mut req, "SIOCSIFADDR")?;
        let mut req = ifreq(name);
        req.ifr_ifru.ifru_netmask = sockaddr(mask);
        self.ioctl(libc::SIOCSIFNETMASK, &mut req, "SIOCSIFNETMASK")?;
        let mut req = ifreq(name);
        req.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        self.ioctl(libc::SIOCSIFFLAGS, &mut req, "SIOCSIFFLAGS")
    }

    fn add_default_route(&self, gateway: Ipv4Addr) -> Result<(), String> {
        let mut rt = RtEntry {
            rt_pad1: 0,
            rt_dst: sockaddr(Ipv4Addr::UNSPECIFIED),
            rt_gateway: sockaddr(gateway),
            rt_genmask: sockaddr(Ipv4Addr::UNSPECIFIED),
            rt_flags: (libc::RTF_UP | libc::RTF_GATEWAY) as libc::c_ushort,
            rt_pad2: 0,
            rt_pad3: 0,
            rt_pad4: std::ptr::null_mut(),
            rt_metric: 0,
            rt_dev: std::ptr::null_mut(),
            rt_mtu: 0,
            rt_window: 0,
            rt_irtt: 0,
        };
        self.ioctl(libc::SIOCADDRT, &mut rt, "SIOCADDRT")
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: we own this descriptor.
        unsafe { libc::close(self.0) };
    }
}

fn strerror() -> String {
    guestfs_protocol::error::strerror(errno())
}

/// The first network interface that is not the loopback one (1.48: `ls -I lo …`).
fn first_card() -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lo")
        .collect();
    names.sort();
    names.into_iter().next()
}

/// Brings up the loopback interface, and with `network` the network card. Failures are
/// reported on the console and leave the appliance without that network, as with 1.48.
pub fn set_up(network: bool) {
    let result = Socket::new().and_then(|s| {
        s.configure("lo", Ipv4Addr::LOCALHOST, Ipv4Addr::new(255, 0, 0, 0))?;
        if !network {
            return Ok(());
        }
        crate::modules::load("virtio_net");
        let card = first_card().ok_or("no network interface")?;
        s.configure(&card, ADDRESS, NETMASK)?;
        s.add_default_route(GATEWAY)?;
        std::fs::write("/etc/resolv.conf", NAMESERVER).map_err(|e| format!("resolv.conf: {}", e))
    });
    if let Err(e) = result {
        eprintln!("guestfsd: network: {}", e);
    }
}

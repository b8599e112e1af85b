//! libvirt guests in the tools: how `-d` adds a guest (libguestfs-common's options/domain.c)
//! and the every-guest mode of virt-df and virt-alignment-scan (libguestfs-common's
//! parallel/domains.c), both through the library's `add_domain`.

use super::{Ctx, Exit};
use guestfs::libvirt::Guest;
use guestfs::{AddDomainOpts, Handle};

/// The `add_domain` arguments of `-d GUEST`: the `-c` URI, read-only when the tool is, a UUID
/// accepted for the name, and disks marked `<readonly/>` added read-only.
pub fn domain_opts(uri: Option<String>, readonly: bool) -> AddDomainOpts {
    AddDomainOpts {
        libvirturi: uri,
        readonly: readonly.then_some(true),
        allowuuid: Some(true),
        readonlydisk: Some("read".to_string()),
        ..Default::default()
    }
}

/// Every guest of the `-c` connection (read-only), sorted by name.
pub fn all_guests(ctx: &Ctx) -> Result<Vec<Guest>, Exit> {
    guestfs::libvirt::all_guests(ctx.libvirt_uri().as_deref()).map_err(|msg| ctx.fail(&msg))
}

/// Adds a guest of the every-guest mode to a new handle: read-only, `<readonly/>` disks too,
/// found by its name on the `-c` connection. (Not by UUID: libvirt's test driver gives a
/// domain defined without one a new random UUID on every connection.)
pub fn add_guest(ctx: &Ctx, g: &mut Handle, guest: &Guest) -> guestfs::Result<i32> {
    g.add_domain(
        &guest.name,
        AddDomainOpts {
            allowuuid: Some(false),
            ..domain_opts(ctx.libvirt_uri(), true)
        },
    )
}

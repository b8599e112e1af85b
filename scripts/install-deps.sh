#!/bin/sh
# Installs what building, testing and the appliance need on a fresh Debian 12 machine, only
# when missing. qemu-system-x86 comes from bookworm-backports because the machine image's
# qemu-utils is the backports 10.0 one (plain bookworm's qemu-system-x86 conflicts with it).
set -eu

need=""
want() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || need="$need $1"; }

for p in e2fsprogs fdisk gdisk qemu-utils lvm2 dosfstools mtools ntfs-3g cryptsetup-bin mdadm \
         xfsprogs btrfs-progs squashfs-tools xorriso libxml2-utils cpio linux-image-amd64 \
         debootstrap sqlite3 xz-utils attr acl binutils bc hyperfine scrub libacl1 libcap2 ldmtool lzop \
         bzip2 rsync zstd file bsdextrautils busybox libaugeas0 augeas-lenses g++ rpm db5.3-util \
         f2fs-tools zerofree extlinux syslinux grub2-common \
         sleuthkit libyara9 libwin-hivex-perl libhivex-bin bash-completion dpkg-dev python3 fuse3 psmisc; do
  want "$p"
done
# libvirt: libvirt-dev and pkg-config build the virt crate (the tools link libvirt.so.0, from
# libvirt0, at run time); libvirt-daemon and virsh run tests/libvirt.rs's real libvirtd. Without
# recommends: those would pull in every qemu-system architecture.
libvirt_need=""
for p in libvirt0 libvirt-dev pkg-config libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || libvirt_need="$libvirt_need $p"
done
reference_missing=0
dpkg-query -W -f='${Status}' libguestfs-tools 2>/dev/null | grep -q "install ok installed" || reference_missing=1
qemu_missing=0
dpkg-query -W -f='${Status}' qemu-system-x86 2>/dev/null | grep -q "install ok installed" || qemu_missing=1
# The tests make btrfs subvolumes offline with mkfs.btrfs --subvol (btrfs-progs 6.7+, in
# bookworm-backports).
btrfs_old=0
mkfs.btrfs --help 2>&1 | grep -q -- '--subvol' || btrfs_old=1

if [ -z "$need" ] && [ -z "$libvirt_need" ] && [ "$qemu_missing" = 0 ] && [ "$btrfs_old" = 0 ] && [ "$reference_missing" = 0 ]; then
  exit 0
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if { [ "$qemu_missing" = 1 ] || [ "$btrfs_old" = 1 ]; } && [ ! -f /etc/apt/sources.list.d/backports.sources ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
  sed -n '1,/^$/p' /etc/apt/sources.list.d/debian.sources \
    | sed 's/^Suites:.*/Suites: bookworm-backports/' \
    | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
fi
$SUDO apt-get update -q
if [ "$qemu_missing" = 1 ]; then
  $SUDO apt-get install -y -q -t bookworm-backports qemu-system-x86 \
    || $SUDO apt-get install -y -q qemu-system-x86
fi
if [ -n "$need" ]; then
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q $need
fi
if [ -n "$libvirt_need" ]; then
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $libvirt_need
fi
# libguestfs 1.48 itself, for the tests that compare with it (never used by the product). After
# qemu from bookworm-backports, so that apt keeps that qemu.
if [ "$reference_missing" = 1 ]; then
  $SUDO apt-get install -y -q libguestfs-tools
fi
if ! mkfs.btrfs --help 2>&1 | grep -q -- '--subvol'; then
  $SUDO apt-get install -y -q -t bookworm-backports btrfs-progs || true
fi

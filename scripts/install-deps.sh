#!/bin/sh
# Installs what the appliance backend and its tests need, only what is missing: qemu from
# bookworm-backports, the Debian kernel, and the helper programs the appliance carries.
# Idempotent; run as root (or with sudo available).
set -eu

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

# Debian's bookworm-backports, for a newer qemu.
if [ -f /etc/apt/sources.list.d/debian.sources ] && ! grep -qs bookworm-backports /etc/apt/sources.list.d/*.sources 2>/dev/null; then
    if grep -qs 'Suites:.*bookworm' /etc/apt/sources.list.d/debian.sources; then
        sed -n '1,/^$/p' /etc/apt/sources.list.d/debian.sources \
            | sed 's/^Suites:.*/Suites: bookworm-backports/' \
            | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
        BACKPORTS_ADDED=1
    fi
fi

missing=
need() { # need PACKAGE [COMMAND-OR-FILE]
    if [ $# -ge 2 ]; then
        case "$2" in
            /*) [ -e "$2" ] && return 0 ;;
            *) command -v "$2" >/dev/null 2>&1 && return 0 ;;
        esac
    fi
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
    missing="$missing $1"
}

kernel_present() { ls /boot/vmlinuz-* >/dev/null 2>&1; }

need linux-image-amd64 /boot/vmlinuz
kernel_present && missing=$(echo "$missing" | sed 's/ linux-image-amd64//')
need lvm2 /sbin/lvm
need cryptsetup-bin /sbin/cryptsetup
need mdadm /sbin/mdadm
need e2fsprogs /sbin/mke2fs
need xfsprogs /sbin/mkfs.xfs
need btrfs-progs /bin/btrfs
need dosfstools /sbin/mkfs.fat
need mtools mcopy
need ntfs-3g /bin/ntfs-3g
need gdisk sgdisk
need fdisk sfdisk
need util-linux blkid
need mount mount
need cpio cpio
need xz-utils xz
need binutils strip
need qemu-utils qemu-img

qemu_missing=
command -v qemu-system-x86_64 >/dev/null 2>&1 || qemu_missing=1

if [ -n "$missing" ] || [ -n "$qemu_missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    if [ -n "$missing" ]; then
        # shellcheck disable=SC2086
        $SUDO apt-get install -y -qq --no-install-recommends $missing
    fi
    if [ -n "$qemu_missing" ]; then
        $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86 \
            || $SUDO apt-get install -y -qq --no-install-recommends qemu-system-x86
    fi
fi
: "${BACKPORTS_ADDED:=0}"
echo "install-deps: ok"

#!/bin/bash
# Times virt-inspector and virt-cat on a LUKS2 guest (argon2id with a lowered cost: 64 MiB,
# 4 passes, 1 lane; aes-xts-plain64) on the native backend and on this project's appliance in
# the same run, and the key derivation alone: a native `cryptsetup-open` less a native
# `run` (guestfish).
#
# Usage: benches/luks.sh [RUNS]   (default 5 native runs, 2 appliance runs; medians)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source benches/lib.sh
setup_guestfish
for t in virt-inspector virt-cat; do ln -sf "$BIN" "$work/bin/$t"; done
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LC_ALL=C

# The guest: a Debian-like root in ext4, encrypted in place, on partition 1 of an MBR disk.
root=$work/root
mkdir -p "$root/etc" "$root/bin" "$root/usr/bin"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' > "$root/etc/os-release"
echo 12.5 > "$root/etc/debian_version"
echo vaulted > "$root/etc/hostname"
echo 'LABEL=VAULT / ext4 defaults 0 1' > "$root/etc/fstab"
cp /bin/ls "$root/bin/ls"
printf secret > "$work/key"
truncate -s 48M "$work/vol"
mkfs.ext4 -q -L VAULT -d "$root" "$work/vol" 32M
cryptsetup reencrypt --encrypt --type luks2 --reduce-device-size 16M -q \
    --pbkdf argon2id --pbkdf-memory 65536 --pbkdf-force-iterations 4 --pbkdf-parallel 1 \
    --key-file "$work/key" "$work/vol"
truncate -s 50M "$work/disk.img"
echo 'start=2048, type=83' | sfdisk -q "$work/disk.img"
dd if="$work/vol" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none

key=(--key /dev/sda1:key:secret)
runs_native=$runs
for backend in native direct; do
    [ "$backend" = direct ] && runs=2
    export LIBGUESTFS_BACKEND=$backend
    i=$(measure "bin/virt-inspector --no-applications -a disk.img ${key[*]}")
    c=$(measure "bin/virt-cat -a disk.img ${key[*]} /etc/hostname")
    printf '%-9s virt-inspector %8.3f s   virt-cat %8.3f s   (median of %d)\n' "$backend" "$i" "$c" "$runs"
    eval "inspector_$backend=$i cat_$backend=$c"
done
runs=$runs_native
export LIBGUESTFS_BACKEND=native
open=$(measure "echo secret | bin/guestfish --keys-from-stdin --ro -a disk.img run : cryptsetup-open /dev/sda1 lk")
launch=$(measure "bin/guestfish --ro -a disk.img run")
printf 'key derivation (argon2id, 64 MiB, 4 passes) + digest, native: %.3f s\n' "$(echo "$open - $launch" | bc -l)"
printf 'speed-up native vs appliance: virt-inspector %.1fx, virt-cat %.1fx\n' \
    "$(echo "$inspector_direct / $inspector_native" | bc -l)" "$(echo "$cat_direct / $cat_native" | bc -l)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

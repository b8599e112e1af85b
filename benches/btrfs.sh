#!/bin/bash
# Times the read tools on a btrfs image of a few thousand files (made by mkfs.btrfs, filled by
# libguestfs-core/tests/data/btrfs-populate.sh through a loop mount, so this needs root) with the
# native reader and with the appliance (LIBGUESTFS_BACKEND=direct) in the same run.
# A second image lays the same tree out like Fedora: subvolumes "root" (holding the tree) and
# "home", root's /etc/fstab naming them with subvol=, read through inspection.
# Target (issue 13): at most 50 ms native and at least 100 times faster than the appliance.
#   benches/btrfs.sh [RUNS]   (appliance runs: RUNS too, default 3; native: hyperfine)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v hyperfine >/dev/null || apt-get install -y -q hyperfine >/dev/null
cargo build --release --quiet -p virt-tools -p guestfsd
bin=$PWD/target/release/virt-tools
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}/btrfs
mkdir -p "$work/bin" "$work/mnt"
for t in virt-ls virt-cat virt-df virt-filesystems virt-inspector; do ln -sf "$bin" "$work/bin/$t"; done
PATH="$work/bin:$PATH"
export TZ=UTC LANG=C LC_ALL=C LIBGUESTFS_BACKEND_SETTINGS=force_tcg
. benches/lib.sh

img=$work/btrfs.img
if [ ! -f "$img" ]; then
  truncate -s 300M "$img.tmp"
  mkfs.btrfs -q -f "$img.tmp"
  # zstd-compressed where it pays, so that virt-cat of /files/text decompresses.
  mount -o loop,compress=zstd "$img.tmp" "$work/mnt"
  bash libguestfs-core/tests/data/btrfs-populate.sh "$work/mnt" || { umount "$work/mnt"; exit 1; }
  umount "$work/mnt"
  mv "$img.tmp" "$img"
fi
echo "image: $(LIBGUESTFS_BACKEND=native virt-ls -a "$img" -m /dev/sda -R / | wc -l) entries"

printf '%-34s %10s %10s %9s\n' case native appliance speedup
one() {
  local name=$1; shift
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/h.json" \
    "env LIBGUESTFS_BACKEND=native $*" >/dev/null 2>&1
  local native
  native=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/h.json")
  local direct
  direct=$(measure "LIBGUESTFS_BACKEND=direct $*")
  printf '%-34s %8.1fms %9.2fs %8.0fx\n' "$name" "$(echo "$native * 1000" | bc -l)" "$direct" \
    "$(echo "$direct / $native" | bc -l)"
}
one "virt-ls -lR /" virt-ls -a "$img" -m /dev/sda -lR /
one "virt-cat /files/text (zstd, 2 MiB)" virt-cat -a "$img" -m /dev/sda /files/text
one "virt-cat /files/random (1 MiB)" virt-cat -a "$img" -m /dev/sda /files/random
one "virt-df" virt-df -a "$img"
one "virt-filesystems -l" virt-filesystems -a "$img" --all --long

sub=$work/btrfs-subvol.img
if [ ! -f "$sub" ]; then
  truncate -s 300M "$sub.tmp"
  mkfs.btrfs -q -f "$sub.tmp"
  mount -o loop,compress=zstd "$sub.tmp" "$work/mnt"
  (
    set -e
    cd "$work/mnt"
    uuid=$(blkid -s UUID -o value "$sub.tmp")
    btrfs -q subvolume create root
    btrfs -q subvolume create home
    mkdir -p root/etc root/usr/bin root/home home/user
    ln -s usr/bin root/bin
    printf 'UUID=%s / btrfs subvol=root,compress=zstd:1 0 0\nUUID=%s /home btrfs subvol=home,compress=zstd:1 0 0\n' "$uuid" "$uuid" > root/etc/fstab
    printf 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=38\n' > root/etc/os-release
    echo hello > home/user/notes
  ) && bash libguestfs-core/tests/data/btrfs-populate.sh "$work/mnt/root" || { umount "$work/mnt"; exit 1; }
  umount "$work/mnt"
  mv "$sub.tmp" "$sub"
fi
echo "subvolume image: $(LIBGUESTFS_BACKEND=native virt-ls -a "$sub" -R / | wc -l) entries"
one "subvol: virt-ls -lR / (inspected)" virt-ls -a "$sub" -lR /
one "subvol: virt-cat /files/text" virt-cat -a "$sub" /files/text
one "subvol: virt-inspector" virt-inspector --no-applications --no-icon -a "$sub"
one "subvol: virt-filesystems -l" virt-filesystems -a "$sub" --all --long

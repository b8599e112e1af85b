#!/bin/sh
# Writes small btrfs images made by mkfs.btrfs --rootdir (no mount needed) into corpus/btrfs
# as sparse seeds (make_seeds.py) for the btrfs target: DUP and SINGLE metadata, mixed block
# groups, zlib/LZO/zstd-compressed files, inline files, a directory of 50 entries, a symlink,
# the directory as a subvolume (and as the default subvolume).
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/corpus/btrfs"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root/d"
echo hello > "$root/small"
head -c 20000 /dev/urandom > "$root/random"
yes 'compressible text' | head -c 300000 > "$root/text" || true
ln -s small "$root/link"
mknod "$root/null" c 1 3 2>/dev/null || true
for i in $(seq 1 50); do echo "$i" > "$root/d/entry-$i"; done
n=0
while read -r name size args; do
  n=$((n + 1))
  img="$tmp/seed-$n-$name.img"
  truncate -s "$size" "$img"
  # shellcheck disable=SC2086
  mkfs.btrfs -q -f $args --rootdir "$root" "$img" >/dev/null
done <<LIST
dup 48M
single 16M -m single -d single
mixed 16M --mixed
zlib 48M --compress zlib
lzo 48M --compress lzo
zstd 48M --compress zstd
subvol 16M -m single -d single --subvol d
subvol-default 16M -m single -d single --subvol default:d
LIST
python3 "$here/make_seeds.py" "$out" "$tmp"/seed-*.img

#!/bin/sh
# Writes small squashfs images made by mksquashfs into corpus/squashfs as sparse seeds
# (make_seeds.py) for the squashfs target: each compressor the reader decodes, uncompressed
# metadata, small blocks, fragments or none, holes, a directory with an index, symlinks,
# device files, xattrs (out-of-line values included).
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/corpus/squashfs"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src="$tmp/src"
mkdir -p "$src/d" "$src/big"
echo hello > "$src/small"
head -c 20000 /dev/urandom > "$src/random"
head -c 9000 /dev/zero > "$src/zeros"
truncate -s 100000 "$src/hole"
printf 'tail' >> "$src/hole"
ln -s small "$src/link"
ln -s "$(printf 'y%.0s' $(seq 600))" "$src/longlink"
ln "$src/small" "$src/d/hard"
mknod "$src/null" c 1 3
mknod "$src/disk" b 8 1
mkfifo "$src/fifo"
for i in $(seq 1 300); do : > "$src/big/name-of-an-entry-in-a-large-directory-$i"; done
for f in small random d; do
  setfattr -n user.shared -v "$(printf 'same value %.0s' $(seq 1 20))" "$src/$f"
done
setfattr -n security.selinux -v label "$src/small"
n=0
while read -r name args; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  mksquashfs "$src" "$tmp/seed-$n-$name.img" -noappend -quiet -no-progress $args >/dev/null
done <<LIST
gzip
xz -comp xz
lz4 -comp lz4
zstd -comp zstd
plain -noI -noD -noF -noX -b 4096
nofrag -no-fragments -b 4096
always -always-use-fragments -noI
LIST
python3 "$here/make_seeds.py" "$out" "$tmp"/seed-*.img

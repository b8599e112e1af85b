#!/bin/sh
# Writes small ext2/3/4 images made by mke2fs into corpus/ext, as seeds for the ext target.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/corpus/ext"
mkdir -p "$out"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
echo hello > "$src/a"
mkdir -p "$src/d/e"
echo there > "$src/d/e/b"
head -c 20000 /dev/urandom > "$src/d/big"
ln -s a "$src/l"
ln -s "$(printf 'y%.0s' $(seq 80))" "$src/sl"
for i in $(seq 1 30); do echo "$i" > "$src/d/f$i"; done
setfattr -n user.x -v 1 "$src/a" 2>/dev/null || true
n=0
while read -r kind size args; do
  n=$((n + 1))
  img="$out/seed-$n-$kind.img"
  rm -f "$img"
  truncate -s "$size" "$img"
  # shellcheck disable=SC2086
  mkfs."$kind" -q -F $args -d "$src" "$img" >/dev/null 2>&1
done <<LIST
ext2 160K -b 1024 -N 48
ext2 160K -b 1024 -N 48 -O ^filetype
ext4 160K -b 1024 -N 48 -O ^has_journal
ext4 160K -b 1024 -N 48 -O inline_data,^has_journal -I 256
ext4 160K -b 1024 -N 48 -O 64bit,meta_bg,^resize_inode,^has_journal
ext3 2200K -b 1024 -N 48 -J size=1
ext4 2200K -b 1024 -N 48 -J size=1
LIST
ls -l "$out"
# A filesystem whose journal holds a committed transaction (with checksums) and a revoke.
img="$out/seed-8-recover.img"
cp "$out/seed-7-ext4.img" "$img"
blk=$(debugfs -R "bmap /a 0" "$img" 2>/dev/null)
head -c 2048 /dev/urandom > "$src/blocks"
printf 'jo -c\njw -b %s,20 %s\njc\njo\njw -r 20 /dev/null\njc\n' "$blk" "$src/blocks" > "$src/cmds"
debugfs -w -f "$src/cmds" "$img" >/dev/null 2>&1
ls -l "$img"
# Hashed directories under each hash: /h holds 200 hard links (no inodes needed), which
# e2fsck -D indexes into an htree; def_hash_version and s_flags pick the hash it uses.
hsrc="$src/hashed"
mkdir -p "$hsrc/h"
echo x > "$hsrc/h/target"
for i in $(seq 1 200); do ln "$hsrc/h/target" "$hsrc/h/link-with-a-name-$i"; done
n=8
for hash in half_md4:0 tea:0 legacy:2; do
  n=$((n + 1))
  img="$out/seed-$n-htree-${hash%%:*}.img"
  rm -f "$img"
  truncate -s 200K "$img"
  mkfs.ext4 -q -F -b 1024 -N 32 -O ^has_journal -d "$hsrc" "$img" >/dev/null 2>&1
  debugfs -w -R "ssv def_hash_version ${hash%%:*}" "$img" >/dev/null 2>&1
  debugfs -w -R "ssv flags ${hash##*:}" "$img" >/dev/null 2>&1
  e2fsck -fyD "$img" >/dev/null 2>&1 || true
  debugfs -R "htree /h" "$img" 2>/dev/null | grep -q "Root node dump" || { echo "no htree in $img" >&2; exit 1; }
  ls -l "$img"
done

#!/bin/sh
# Writes md RAID seeds into corpus/md for the md target: small arrays made by real mdadm in
# the appliance (libguestfs-core/tests/data/md-make.sh: raid1/0/5/6/10/4, metadata 1.2, 0.90,
# 1.0 and 1.1, ext4 inside), each array's members put end to end and turned into a sparse
# seed (make_seeds.py) after a first byte giving the member count.
# Needs target/release/virt-tools (run from the project root or anywhere).
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out="$here/corpus/md"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
part=16384
LIBGUESTFS_BACKEND=direct MD_PART_SECTORS=$part MD_BIG_BYTES=300000 \
  bash "$root/libguestfs-core/tests/data/md-make.sh" "$root/target/release/virt-tools guestfish" "$tmp/img"
# Partition p of each disk starts at sector 2048 + (p-1)*part.
for spec in 1:ab 2:abc 3:abcd 4:abcd 5:abcd 6:abc; do
  p=${spec%%:*}
  disks=${spec#*:}
  n=$(printf %s "$disks" | wc -c)
  : > "$tmp/md$p.img"
  for d in $(printf %s "$disks" | sed 's/./& /g'); do
    dd if="$tmp/img/$d.img" bs=512 skip=$((2048 + (p - 1) * part)) count=$part status=none >> "$tmp/md$p.img"
  done
  mkdir -p "$tmp/s$p"
  python3 "$here/make_seeds.py" "$tmp/s$p" "$tmp/md$p.img" > /dev/null
  { printf "\\$(printf %o "$n")"; cat "$tmp/s$p/md$p.img"; } > "$out/md$p"
done
ls -l "$out"

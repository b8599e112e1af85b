#!/bin/sh
# Fills corpus/TARGET for every fuzz target (or the targets named) with seeds made by the real
# tools: mkfs.*, sfdisk, qemu-img, cryptsetup, mksquashfs, xorriso, rpmbuild, db5.3_load, and
# the test data that libguestfs-core's tests keep (hives, journals). Committed seeds (seeds/*)
# are copied in too. A tool that is missing is reported and its seeds are left out.
#
# usage: fuzz/make-seeds.sh [TARGET...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../libguestfs-core/tests/data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

have() { command -v "$1" >/dev/null 2>&1; }
missing() { echo "make-seeds: $1 not installed: no $2 seeds from it" >&2; }
# sparse TARGET IMAGE...: images as sparse seeds (common/sparse_image.rs).
sparse() { t=$1; shift; python3 "$here/make_seeds.py" "$here/corpus/$t" "$@" >/dev/null; }
# prefixed TARGET BYTE NAME FILE: FILE's bytes behind one mode byte (targets whose first byte
# chooses a mode).
prefixed() {
  mkdir -p "$here/corpus/$1"
  { printf "\\$(printf %03o "$2")"; cat "$4"; } >"$here/corpus/$1/$3"
}
committed() { [ -d "$here/seeds/$1" ] && { mkdir -p "$here/corpus/$1"; cp "$here/seeds/$1"/* "$here/corpus/$1/"; }; true; }

# A small tree every filesystem seed holds: files, a directory of 30 entries, symlinks.
tree="$work/tree"
mkdir -p "$tree/d/e"
echo hello >"$tree/a"
echo there >"$tree/d/e/b"
head -c 20000 /dev/urandom >"$tree/d/big"
ln -s a "$tree/l"
for i in $(seq 1 30); do echo "$i" >"$tree/d/f$i"; done

seeds_fat() {
  have mkfs.vfat && have mcopy || { missing mkfs.vfat/mcopy fat; return; }
  # Sizes and clusters that give each FAT width enough clusters (and FAT12 few enough).
  while read -r bits size spc; do
    img="$work/fat$bits.img"
    truncate -s "$size" "$img"
    mkfs.vfat -F "$bits" -s "$spc" -n "FAT$bits" "$img" >/dev/null
    mcopy -s -i "$img" "$tree/a" "$tree/d" ::/
    mcopy -i "$img" "$tree/d/big" "::/A Long File Name.txt"
  done <<SIZES
12 2M 4
16 8M 1
32 40M 1
SIZES
  sparse fat "$work"/fat*.img
}

seeds_ntfs() {
  have mkntfs && have ntfscp || { missing mkntfs/ntfscp ntfs; return; }
  # 2 MiB: the smallest volume mkntfs makes, so that its $LogFile (all 0xff) stays small.
  img="$work/ntfs.img"
  truncate -s 2M "$img"
  mkntfs -q -F -f -L seed "$img" >/dev/null 2>&1
  ntfscp -q "$img" "$tree/a" a.txt
  ntfscp -q "$img" "$tree/d/big" big.bin
  sparse ntfs "$img"
}

seeds_signatures() {
  imgs=""
  add() { imgs="$imgs $1"; }
  mk() { truncate -s "$2" "$work/sig-$1.img"; }
  if have mkswap; then mk swap 1M; mkswap -q -L sw "$work/sig-swap.img" >/dev/null; add "$work/sig-swap.img"; fi
  if have mkfs.xfs; then mk xfs 300M; mkfs.xfs -q -L x "$work/sig-xfs.img"; add "$work/sig-xfs.img"; fi
  if have mkfs.btrfs; then mk btrfs 120M; mkfs.btrfs -q -L b "$work/sig-btrfs.img" >/dev/null; add "$work/sig-btrfs.img"; fi
  if have mke2fs; then mk ext4 4M; mke2fs -q -F -t ext4 -L e "$work/sig-ext4.img"; add "$work/sig-ext4.img"; fi
  if have mkfs.vfat; then mk vfat 2M; mkfs.vfat -n V "$work/sig-vfat.img" >/dev/null; add "$work/sig-vfat.img"; fi
  if have mkntfs; then mk ntfs 2M; mkntfs -q -F -f -L n "$work/sig-ntfs.img" >/dev/null 2>&1; add "$work/sig-ntfs.img"; fi
  if have mksquashfs; then mksquashfs "$tree" "$work/sig-squashfs.img" -quiet -noappend >/dev/null; add "$work/sig-squashfs.img"; fi
  if have xorriso; then xorriso -as mkisofs -quiet -R -J -V ISO -o "$work/sig-iso.img" "$tree" 2>/dev/null; add "$work/sig-iso.img"; fi
  if have cryptsetup; then
    # Small metadata and keyslot areas, as in make-luks-seeds.sh, keep the seed small.
    mk luks 1M
    printf k | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-size 256 \
      --luks2-metadata-size 16k --luks2-keyslots-size 128k --offset 336 --key-file - "$work/sig-luks.img"
    add "$work/sig-luks.img"
  fi
  # shellcheck disable=SC2086
  [ -n "$imgs" ] && sparse signatures $imgs
}

seeds_partition() {
  committed partition
  have sfdisk || { missing sfdisk partition; return; }
  mkdir -p "$here/corpus/partition"
  # Small disks with explicit sectors (sfdisk would align to 1 MiB): an MBR with an extended
  # partition and two logical ones, and a GPT with three partitions.
  img="$work/mbr.img"
  truncate -s 512K "$img"
  printf 'label: dos\nstart=1,size=100,type=83\nstart=101,size=800,type=5\nstart=102,size=100,type=83\nstart=300,size=100,type=83\n' \
    | sfdisk -q "$img" >/dev/null
  prefixed partition 0 sfdisk-mbr-ebr "$img"
  img="$work/gpt.img"
  truncate -s 256K "$img"
  printf 'label: gpt\nfirst-lba: 34\nstart=34,size=100,type=L\nstart=134,size=100,type=S\nstart=234,size=100\n' \
    | sfdisk -q "$img" >/dev/null
  prefixed partition 1 sfdisk-gpt "$img"
}

seeds_qcow2() {
  committed qcow2
  have qemu-img || { missing qemu-img qcow2; return; }
  mkdir -p "$here/corpus/qcow2"
  head -c 200000 /dev/urandom >"$work/raw"
  head -c 300000 /dev/zero >>"$work/raw"
  for v in 0.10 1.1; do
    qemu-img convert -q -f raw -O qcow2 -o compat=$v,cluster_size=4096 "$work/raw" "$here/corpus/qcow2/plain-$v"
  done
  qemu-img convert -q -c -f raw -O qcow2 -o cluster_size=4096 "$work/raw" "$here/corpus/qcow2/compressed"
  qemu-img create -q -f qcow2 -o cluster_size=16384,extended_l2=on "$here/corpus/qcow2/extended-l2" 1M
}

seeds_lvm() {
  committed lvm_label
  committed lvm_metadata
}

seeds_hive() {
  for h in "$data"/hive/*.hive; do
    for mode in 0 3; do prefixed hive "$mode" "$(basename "$h").$mode" "$h"; done
  done
}

seeds_regfile() {
  # regedit files exported by hivexregedit from the test hives (first byte 2: UTF-8).
  have hivexregedit || { missing hivexregedit regfile; return; }
  for h in "$data"/hive/windows-system.hive "$data"/hive/hivex-made.hive.gz; do
    case "$h" in *.gz) gzip -dc "$h" >"$work/h" ;; *) cp "$h" "$work/h" ;; esac
    hivexregedit --export "$work/h" '\' 2>/dev/null | head -c 65536 >"$work/reg" || true
    [ -s "$work/reg" ] && prefixed regfile 2 "$(basename "$h" .gz).reg" "$work/reg"
  done
  true
}

seeds_journal() {
  for j in "$data"/journal/*.journal.xz; do
    xz -dc "$j" >"$work/j"
    prefixed journal 3 "$(basename "$j" .xz)" "$work/j"
  done
}

seeds_inspect_parsers() {
  mkdir -p "$here/corpus/inspect_parsers"
  for f in /etc/os-release /etc/fstab /etc/mdadm/mdadm.conf /etc/hostname /etc/lsb-release; do
    [ -f "$f" ] && cp "$f" "$here/corpus/inspect_parsers/$(echo "$f" | tr / _)"
  done
  [ -f /var/lib/dpkg/status ] && head -c 60000 /var/lib/dpkg/status >"$here/corpus/inspect_parsers/dpkg-status"
  true
}

seeds_rpm_header() {
  have rpmbuild && have db5.3_load || { missing rpmbuild/db5.3_load rpm_header; return; }
  top="$work/rpmbuild"
  mkdir -p "$top/SPECS"
  cat >"$top/SPECS/seed.spec" <<'SPEC'
Name: seed
Version: 1.2
Release: 3
Summary: fuzz seed
License: MIT
BuildArch: noarch
%description
A package whose header seeds the rpm_header target.
%files
SPEC
  rpmbuild -bb --quiet --define "_topdir $top" "$top/SPECS/seed.spec" >/dev/null 2>&1 \
    || { echo "make-seeds: rpmbuild failed: no rpm_header seeds" >&2; return; }
  mkdir -p "$here/corpus/rpm_header"
  python3 - "$top"/RPMS/noarch/seed-*.rpm "$here/corpus/rpm_header" "$work/bdb.txt" <<'PY'
import struct, sys
rpm, out, bdb_text = sys.argv[1:4]
b = open(rpm, 'rb').read()
def header_at(off):
    n, size = struct.unpack('>II', b[off + 8:off + 16])
    return off + 16 + 16 * n + size
sig_end = header_at(96)
main = sig_end + (-sig_end % 8)
end = header_at(main)
blob = b[main + 8:end]  # as rpmdb stores it: without the 8-byte magic
open(out + '/header-blob', 'wb').write(blob)
open(out + '/header-magic', 'wb').write(b[main:end])
# db5.3_load's printable input: key and value lines, bytes as \xx.
esc = lambda data: ''.join('\\%02x' % c for c in data)
with open(bdb_text, 'w') as f:
    f.write('VERSION=3\nformat=print\ntype=hash\nHEADER=END\n')
    f.write(' ' + esc(struct.pack('<I', 1)) + '\n ' + esc(blob) + '\n')
    f.write('DATA=END\n')
PY
  db5.3_load -f "$work/bdb.txt" "$here/corpus/rpm_header/Packages" 2>/dev/null \
    || echo "make-seeds: db5.3_load failed: no Berkeley DB seed" >&2
}

seeds_protocol() {
  # A call (program 0x2000f5f5, version 4, procedure 1, serial 1) with one empty string, as
  # ../shared/reference/wire-protocol-1.48.md lays messages out; mutations explore the rest.
  mkdir -p "$here/corpus/protocol"
  printf '\0\0\0\x1c\x20\x00\xf5\xf5\0\0\0\x04\0\0\0\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0' \
    >"$here/corpus/protocol/launch-header"
}

seeds_image_formats() {
  mkdir -p "$here/corpus/image_formats"
  cp "$here"/seeds/disk_formats/* "$here/corpus/image_formats/" 2>/dev/null || true
  cp "$here"/corpus/qcow2/* "$here/corpus/image_formats/" 2>/dev/null || true
}

run() {
  case "$1" in
    ext) sh "$here/make-ext-seeds.sh" >/dev/null ;;
    xfs) sh "$here/make-xfs-seeds.sh" >/dev/null ;;
    iso9660) if command -v xorriso >/dev/null; then sh "$here/make-iso-seeds.sh" >/dev/null; fi ;;
    luks) committed luks ;;
    disk_formats) committed disk_formats ;;
    lvm_label | lvm_metadata) seeds_lvm ;;
    *)
      if command -v "seeds_$1" >/dev/null 2>&1; then "seeds_$1"; else
        extra="$here/make-$1-seeds.sh"
        if [ -f "$extra" ]; then sh "$extra"; else committed "$1"; fi
      fi
      ;;
  esac
}

if [ $# = 0 ]; then
  set -- $(sed -n 's/^name = "\(.*\)"/\1/p' "$here/Cargo.toml" | grep -v '^virt-tools-fuzz$')
fi
for t in "$@"; do run "$t"; done

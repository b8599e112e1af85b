#!/bin/sh
# Writes small XFS images made by mkfs.xfs (filled from a prototype file, no mount needed)
# into corpus/xfs as sparse seeds (make_seeds.py) for the xfs target: v5 and v4, with
# short-form, block and leaf directories, extent-mapped files, inline and remote symlinks,
# device files.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/corpus/xfs"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo hello > "$tmp/small"
head -c 20000 /dev/urandom > "$tmp/big"
{
  echo /dev/null
  echo 0 0
  echo 'd--755 0 0'
  echo "small ---644 0 0 $tmp/small"
  echo "big ---600 1000 100 $tmp/big"
  echo "link l--777 0 0 small"
  echo "longlink l--777 0 0 $(printf 'y%.0s' $(seq 600))"
  echo 'null c--666 0 0 1 3'
  echo 'disk b--660 0 6 8 1'
  echo 'fifo p--644 0 0'
  echo 'sf d--755 0 0'
  echo "  a ---644 0 0 $tmp/small"
  echo '  $'
  echo 'block d--755 0 0'
  for i in $(seq 1 20); do echo "  entry$i ---644 0 0 $tmp/small"; done
  echo '  $'
  echo 'leaf d--700 0 0'
  for i in $(seq 1 200); do echo "  a-longer-name-for-a-leaf-directory-$i ---644 0 0 $tmp/small"; done
  echo '  $'
  echo '$'
} > "$tmp/proto"
# mkfs.xfs refuses filesystems under 300 MiB outside its own test suite's environment.
export TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1
n=0
while read -r name args; do
  n=$((n + 1))
  img="$tmp/seed-$n-$name.img"
  truncate -s 16M "$img"
  # shellcheck disable=SC2086
  mkfs.xfs -q -f $args -p "$tmp/proto" "$img" 2>/dev/null
done <<LIST
v5
v4 -m crc=0
v4-noftype -m crc=0 -n ftype=0 -b size=1024
LIST
python3 "$here/make_seeds.py" "$out" "$tmp"/seed-*.img

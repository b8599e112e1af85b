#!/bin/sh
# Writes small ISO 9660 images made by xorriso into corpus/iso9660 as sparse seeds
# (make_seeds.py) for the iso9660 target: Rock Ridge (with symlinks, device files, a deep
# directory, long symlinks in continuation areas), Joliet, both, plain level 1 and 3, and
# zisofs-compressed files.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/corpus/iso9660"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src="$tmp/src"
mkdir -p "$src/dir/sub" "$src/deep/a/b/c/d/e/f/g/h/i"
echo hello > "$src/dir/small"
head -c 5000 /dev/urandom > "$src/dir/big"
yes compressible | head -c 70000 > "$src/dir/text"
echo deep > "$src/deep/a/b/c/d/e/f/g/h/i/leaf"
ln -s ../dir/small "$src/dir/link"
ln -s "$(printf 'y%.0s' $(seq 200))/z" "$src/dir/longlink"
mkfifo "$src/dir/fifo"
mknod "$src/dir/null" c 1 3
echo mixed > "$src/MixedCase.Name.TXT"
n=0
while read -r name args; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  xorriso -as mkisofs $args -o "$tmp/seed-$n-$name.img" "$src" >/dev/null 2>&1
done <<LIST
rr -R
rr-joliet -R -J
joliet -J --norock
plain-l1 -iso-level 1 --norock
plain-l3 -iso-level 3 --norock
rr-l2 -R -iso-level 2
LIST
xorriso -as mkisofs -R -o "$tmp/seed-z-zisofs.img" -zisofs level=9 "$src" >/dev/null 2>&1 ||
  xorriso -outdev "$tmp/seed-z-zisofs.img" -zisofs level=9 -set_filter_r --zisofs / -- \
    -map "$src" / >/dev/null 2>&1 || true
python3 "$here/make_seeds.py" "$out" "$tmp"/seed-*.img

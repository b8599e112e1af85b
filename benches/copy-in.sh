#!/bin/bash
# Times virt-copy-in of a 1 GiB tree (8 files of 64 MiB and 10,000 files of 50 KiB) into a
# 2 GiB ext4 guest, with this project's virt-copy-in and with libguestfs 1.48's in the
# same run (both under TCG), and prints both and the ratio (issue 11: at least 2x 1.48).
# Each run starts from a fresh copy of the empty image; the copy is checked afterwards by
# comparing the file count and a checksum of one large and one small file.
#
# Usage: benches/copy-in.sh [RUNS]   (default 1; the median is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LANG=C LC_ALL=C
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}/copy-in
mkdir -p "$work/bin"
. benches/lib.sh

cargo build -q --release -p virt-tools -p guestfsd
bin=$PWD/target/release/virt-tools
for t in virt-copy-in virt-ls virt-cat; do ln -sf "$bin" "$work/bin/$t"; done

tree=$work/tree
if [ ! -f "$tree/.done" ]; then
    rm -rf "$tree"; mkdir -p "$tree/large" "$tree/small"
    for i in $(seq 0 7); do head -c 67108864 /dev/urandom > "$tree/large/f$i"; done
    head -c 51200 /dev/urandom > "$work/seed"
    for d in $(seq 0 99); do
        mkdir "$tree/small/d$d"
        for i in $(seq 0 99); do cp "$work/seed" "$tree/small/d$d/f$i"; done
    done
    touch "$tree/.done"
fi
# The target: a 2 GiB ext4 guest with just what inspection needs to find a Linux root
# (1.48's wrapper always runs guestfish -i, and takes -i over -m).
root=$work/root
rm -rf "$root" "$work/empty.img"
mkdir -p "$root/etc" "$root/bin"
echo '/dev/sda / ext4 defaults 0 1' > "$root/etc/fstab"
printf 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' > "$root/etc/os-release"
echo 12.0 > "$root/etc/debian_version"
cp /bin/ls "$root/bin/ls"
truncate -s 2G "$work/empty.img"
mkfs.ext4 -q -F -d "$root" "$work/empty.img"

# One copy with the given virt-copy-in; prints its wall seconds after checking the result.
copy_with() {
    local tool=$1 s e files
    cp --sparse=always "$work/empty.img" "$work/w.img"
    s=$(date +%s.%N)
    "$tool" -a "$work/w.img" "$tree" / >/dev/null 2>"$work/err" || {
        echo "failed: $tool" >&2; cat "$work/err" >&2; return 1; }
    e=$(date +%s.%N)
    files=$(LIBGUESTFS_BACKEND=native "$work/bin/virt-ls" -a "$work/w.img" -m /dev/sda -R /tree | grep -c '/f[0-9]*$')
    [ "$files" = 10008 ] || { echo "$tool: $files files copied, not 10008" >&2; return 1; }
    for f in large/f3 small/d42/f17; do
        [ "$(LIBGUESTFS_BACKEND=native "$work/bin/virt-cat" -a "$work/w.img" -m /dev/sda "/tree/$f" | sha256sum)" \
            = "$(sha256sum < "$tree/$f")" ] || { echo "$tool: /tree/$f differs" >&2; return 1; }
    done
    echo "$e - $s" | bc -l
}

ours=(); lg=()
have_lg=0; [ -x /usr/bin/virt-copy-in ] && have_lg=1
for i in $(seq "$runs"); do
    ours+=("$(copy_with "$work/bin/virt-copy-in")")
    [ "$have_lg" = 0 ] || lg+=("$(copy_with /usr/bin/virt-copy-in)")
done
rm -f "$work/w.img"
o=$(printf '%s\n' "${ours[@]}" | median)
if [ "$have_lg" = 1 ]; then
    l=$(printf '%s\n' "${lg[@]}" | median)
    report_speedup "virt-copy-in 1 GiB (10,008 files)" "$o" "$l"
else
    report_speedup "virt-copy-in 1 GiB (10,008 files)" "$o" -
fi

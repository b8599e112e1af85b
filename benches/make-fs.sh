#!/bin/bash
# Times virt-make-fs of a 500 MB directory (4 files of 100 MiB and 5,000 files of 20 KiB) to
# ext4, with this project's virt-make-fs and with guestfs-tools 1.48's in the same run (both
# under TCG), and prints both and the ratio (issue 11: at least 2x 1.48). Each result is
# checked afterwards: the file count, and a checksum of one large and one small file.
#
# Usage: benches/make-fs.sh [RUNS]   (default 1; the median is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LANG=C LC_ALL=C
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}/make-fs
mkdir -p "$work/bin"
. benches/lib.sh

cargo build -q --release -p virt-tools -p guestfsd
bin=$PWD/target/release/virt-tools
for t in virt-make-fs virt-ls virt-cat; do ln -sf "$bin" "$work/bin/$t"; done

tree=$work/tree
if [ ! -f "$work/.done" ]; then
    rm -rf "$tree"; mkdir -p "$tree/large" "$tree/small"
    for i in $(seq 0 3); do head -c 104857600 /dev/urandom > "$tree/large/f$i"; done
    head -c 20480 /dev/urandom > "$work/seed"
    for d in $(seq 0 49); do
        mkdir "$tree/small/d$d"
        for i in $(seq 0 99); do cp "$work/seed" "$tree/small/d$d/f$i"; done
    done
    touch "$work/.done"
fi

# One run of the given virt-make-fs; prints its wall seconds after checking the result.
make_with() {
    local tool=$1 s e files
    rm -f "$work/o.img"
    s=$(date +%s.%N)
    "$tool" --type=ext4 "$tree" "$work/o.img" >/dev/null 2>"$work/err" || {
        echo "failed: $tool" >&2; cat "$work/err" >&2; return 1; }
    e=$(date +%s.%N)
    files=$(LIBGUESTFS_BACKEND=native "$work/bin/virt-ls" -a "$work/o.img" -m /dev/sda -R / | grep -c '/f[0-9]*$')
    [ "$files" = 5004 ] || { echo "$tool: $files files made, not 5004" >&2; return 1; }
    for f in large/f2 small/d42/f17; do
        [ "$(LIBGUESTFS_BACKEND=native "$work/bin/virt-cat" -a "$work/o.img" -m /dev/sda "/$f" | sha256sum)" \
            = "$(sha256sum < "$tree/$f")" ] || { echo "$tool: /$f differs" >&2; return 1; }
    done
    echo "$e - $s" | bc -l
}

ours=(); lg=()
have_lg=0; [ -x /usr/bin/virt-make-fs ] && have_lg=1
for i in $(seq "$runs"); do
    ours+=("$(make_with "$work/bin/virt-make-fs")")
    [ "$have_lg" = 0 ] || lg+=("$(make_with /usr/bin/virt-make-fs)")
done
rm -f "$work/o.img"
o=$(printf '%s\n' "${ours[@]}" | median)
if [ "$have_lg" = 1 ]; then
    l=$(printf '%s\n' "${lg[@]}" | median)
    report_speedup "virt-make-fs 500 MB to ext4 (5,004 files)" "$o" "$l"
else
    report_speedup "virt-make-fs 500 MB to ext4 (5,004 files)" "$o" -
fi

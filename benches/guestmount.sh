#!/bin/bash
# Times guestmount --ro of a real Debian guest (debootstrap's bookworm tree made into ext4),
# then `find` over the whole mount and `cat` of every file under /etc, with this project's
# guestmount and with libguestfs 1.48's in the same run (1.48 under TCG), and prints both and
# the ratio (issue 11: at least 5x 1.48). The time runs from the start of guestmount to the
# end of the walk; the mount is then taken down and its process waited for. The walk's
# output (names and /etc's bytes) must be the same for both.
#
# Usage: benches/guestmount.sh [RUNS]   (default 1; the median is reported)
# The tree: $TREE (default /var/tmp/inspect-debootstrap/bookworm, made by
# libguestfs-core/tests/inspect.rs with debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
tree=${TREE:-/var/tmp/inspect-debootstrap/bookworm}
[ -d "$tree/etc" ] || { echo "no Debian tree at $tree (see libguestfs-core/tests/inspect.rs)" >&2; exit 1; }
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LANG=C LC_ALL=C
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}/guestmount
mkdir -p "$work/bin" "$work/mnt"
. benches/lib.sh

cargo build -q --release -p virt-tools -p guestfsd
bin=$PWD/target/release/virt-tools
for t in guestmount guestunmount; do ln -sf "$bin" "$work/bin/$t"; done

img=$work/debian.img
if [ ! -f "$img" ] || [ "$tree" -nt "$img" ]; then
    rm -f "$img"
    mkfs.ext4 -q -F -d "$tree" "$img" 1G
fi

# One mount and walk with the given guestmount; prints its wall seconds, leaves the walk's
# output in $work/walk.$2.
walk_with() {
    local gm=$1 name=$2 s e
    s=$(date +%s.%N)
    "$gm" -a "$img" -m /dev/sda --ro --pid-file "$work/pid" "$work/mnt" 2>"$work/err" || {
        echo "failed: $gm" >&2; cat "$work/err" >&2; return 1; }
    { (cd "$work/mnt" && find . | sort && find etc -type f -exec cat {} + | sha256sum); } \
        > "$work/walk.$name"
    e=$(date +%s.%N)
    local pid; pid=$(cat "$work/pid")
    "$work/bin/guestunmount" "$work/mnt"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    echo "$e - $s" | bc -l
}

ours=(); lg=()
have_lg=0; [ -x /usr/bin/guestmount ] && have_lg=1
for i in $(seq "$runs"); do
    ours+=("$(walk_with "$work/bin/guestmount" ours)")
    [ "$have_lg" = 0 ] || lg+=("$(walk_with /usr/bin/guestmount lg)")
done
files=$(($(wc -l < "$work/walk.ours") - 1))
o=$(printf '%s\n' "${ours[@]}" | median)
if [ "$have_lg" = 1 ]; then
    cmp -s "$work/walk.ours" "$work/walk.lg" || { echo "the walks differ: diff $work/walk.ours $work/walk.lg" >&2; exit 1; }
    l=$(printf '%s\n' "${lg[@]}" | median)
    report_speedup "guestmount --ro + find + cat /etc ($files names)" "$o" "$l"
else
    report_speedup "guestmount --ro + find + cat /etc ($files names)" "$o" -
fi

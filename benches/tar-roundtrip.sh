#!/bin/bash
# tar-in of a 200 MB tree of small and large files, then tar-out of it, through guestfish:
# this project's against libguestfs 1.48's, both under TCG, in the same run. Reported: the
# whole session (create a disk, launch, mkfs ext4, mount, tar-in, tar-out, shut down) and the
# transfer alone (the session minus the same session without tar-in/tar-out).
#
# Usage: benches/tar-roundtrip.sh [RUNS]   (default 3; medians are reported). BIN=path/to/
# virt-tools uses an existing build; by default the release build is made first. 1.48's runs
# are skipped (and said so) when /usr/bin/guestfish is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LC_ALL=C
unset LIBGUESTFS_BACKEND LIBGUESTFS_DEBUG LIBGUESTFS_TRACE || true

work=${BENCH_DIR:-/var/tmp/virt-tools-bench-tar}
. benches/lib.sh
setup_guestfish

# The tree, made once: 4000 small files (1-16 KiB, in 40 directories, ~34 MB) and three
# large ones (2 × 64 MiB and 40 MiB): ~200 MB of incompressible data.
if [ ! -f "$work/tree.tar" ]; then
    rm -rf "$work/tree"
    mkdir -p "$work/tree/big"
    for d in $(seq 40); do
        mkdir -p "$work/tree/small/$d"
        for f in $(seq 100); do
            head -c $(( (d * 100 + f) % 16 * 1024 + 1024 )) /dev/urandom > "$work/tree/small/$d/$f"
        done
    done
    head -c 64M /dev/urandom > "$work/tree/big/a"
    head -c 64M /dev/urandom > "$work/tree/big/b"
    head -c 40M /dev/urandom > "$work/tree/big/c"
    tar -C "$work/tree" -cf "$work/tree.tar" .
    rm -rf "$work/tree"
fi


# The round trip checks itself: the tree that comes back lists the same as the one sent.
session="rm -f test1.img out.tar && GF -N fs:ext4:1G -m /dev/sda1 -- tar-in tree.tar / : tar-out / out.tar && cmp <(tar tvf tree.tar --numeric-owner | grep -v lost+found | sort) <(tar tvf out.tar --numeric-owner | grep -v lost+found | sort) && rm -f test1.img out.tar"
empty="rm -f test1.img && GF -N fs:ext4:1G -m /dev/sda1 -- ping-daemon && rm -f test1.img"
run() { # guestfish → "session-seconds transfer-seconds"
    local s e
    s=$(measure "${session//GF/$1}")
    e=$(measure "${empty//GF/$1}")
    echo "$s $(echo "$s - $e" | bc -l)"
}
read -r os ot <<< "$(run "$ours")"
ls=- lt=-
[ "$have_lg" = 1 ] && read -r ls lt <<< "$(run /usr/bin/guestfish)"
echo "tar-in + tar-out of $(( $(stat -c %s "$work/tree.tar") / 1000000 )) MB, seconds (median of $runs):"
report_speedup "whole session" "$os" "$ls"
report_speedup "transfer alone" "$ot" "$lt"

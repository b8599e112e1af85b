#!/bin/bash
# Making a filesystem and filling it, end to end, against libguestfs 1.48's guestfish on this
# machine (TCG for both appliances): one guestfish session that adds a 1G sparse disk,
# launches, runs `mkfs ext4`, mounts it, writes 1000 small files with `write`, and shuts down.
#
# Usage: benches/mkfs-write.sh [RUNS]   (default 3; medians are reported). BIN=path/to/virt-tools
# uses an existing build; by default the release build is made first. 1.48's runs are skipped
# (and said so) when /usr/bin/guestfish is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LC_ALL=C
unset LIBGUESTFS_BACKEND LIBGUESTFS_DEBUG LIBGUESTFS_TRACE || true

work=${BENCH_DIR:-/var/tmp/virt-tools-bench-mkfs-write}
. benches/lib.sh
setup_guestfish

script=$work/mkfs-write.gf
{
    echo "sparse disk.img 1G"
    echo "run"
    echo "mkfs ext4 /dev/sda"
    echo "mount /dev/sda /"
    for i in $(seq 1000); do echo "write /file$i \"small file number $i\""; done
    echo "umount-all"
} > "$script"

run="rm -f disk.img && GF < mkfs-write.gf && rm -f disk.img"
o=$(measure "${run//GF/$ours}")
l=-
[ "$have_lg" = 1 ] && l=$(measure "${run//GF//usr/bin/guestfish}")
report_speedup "mkfs ext4 + 1000 writes (s)" "$o" "$l"

#!/bin/bash
# guestfish against libguestfs 1.48's guestfish, on this machine (TCG for 1.48's appliance):
#
#  1. end to end: `guestfish -N fs -m /dev/sda1 -- write /hello hi : cat /hello` (create a 1G
#     sparse disk, launch, partition, mkfs ext2, mount, write, read, shut down);
#  2. 1000 small calls (`exists`, `is-file`, `stat`, in turn) in one `--ro -i` session on the
#     demo image, reported per call: the session's wall time minus the same session with no
#     calls, / 1000 — ours as guestfish runs it (`--ro` reads natively), and ours through the
#     appliance (LIBGUESTFS_BACKEND=direct) like 1.48.
#
# Usage: benches/guestfish.sh [RUNS]   (default 3; medians are reported). BIN=path/to/virt-tools
# uses an existing build; by default the release build is made first. 1.48's runs are skipped
# (and said so) when /usr/bin/guestfish is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LC_ALL=C
unset LIBGUESTFS_BACKEND LIBGUESTFS_DEBUG LIBGUESTFS_TRACE || true

if [ -z "${BIN:-}" ]; then
    cargo build -q --release -p virt-tools -p guestfsd -p virt-tools-tests
    BIN=$PWD/target/release/virt-tools
fi
work=${BENCH_DIR:-/var/tmp/virt-tools-bench-guestfish}
mkdir -p "$work/bin"
ln -sf "$BIN" "$work/bin/guestfish"
ours=$work/bin/guestfish
[ -f "$work/demo.img" ] || "$(dirname "$BIN")/make-demo-image" "$work/demo.img" >/dev/null
have_lg=0
[ -x /usr/bin/guestfish ] && have_lg=1

. benches/lib.sh

# The script of 1000 calls, and the same session without them.
calls=$work/calls.gf
: > "$calls"
for i in $(seq 334); do
    printf 'exists /etc/hostname\nis-file /etc/passwd\nstat /home/user/hello.txt\n' >> "$calls"
done
head -n 1000 "$calls" > "$calls.tmp" && mv "$calls.tmp" "$calls"
: > "$work/none.gf"

report() { # name ours 1.48
    if [ "$3" = "-" ]; then
        printf '%-34s %10s   1.48: not installed (skipped)\n' "$1" "$2"
    else
        printf '%-34s %10s   1.48: %10s   ratio %.3f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)"
    fi
}

e2e="rm -f test1.img && GF -N fs -m /dev/sda1 -- write /hello hi : cat /hello && rm -f test1.img"
o=$(measure "${e2e//GF/$ours}")
l=-
[ "$have_lg" = 1 ] && l=$(measure "${e2e//GF//usr/bin/guestfish}")
report "-N fs write+cat (s)" "$o" "$l"

session="GF --ro -a demo.img -i < SCRIPT"
per_call() { # guestfish (with its environment)
    local with without
    with=$(measure "$(echo "$session" | sed "s|GF|$1|; s|SCRIPT|calls.gf|")")
    without=$(measure "$(echo "$session" | sed "s|GF|$1|; s|SCRIPT|none.gf|")")
    echo "($with - $without) * 1000 / 1000" | bc -l
}
ms() { [ "$1" = - ] && echo - || printf '%.4f' "$1"; }
l=-
[ "$have_lg" = 1 ] && l=$(per_call /usr/bin/guestfish)
report "1000 calls, per call (ms)" "$(ms "$(per_call "$ours")")" "$(ms "$l")"
report "  ours through the appliance (ms)" "$(ms "$(per_call "LIBGUESTFS_BACKEND=direct $ours")")" "$(ms "$l")"

#!/bin/bash
# Times, in one run on this machine, launch-to-ready of this project's appliance and of
# libguestfs 1.48 (`guestfish -a /dev/null run`, TCG), and prints the ratio. Both figures are
# the wall time of a whole program that launches, checks the daemon answers, and shuts down.
#
# Usage: benches/appliance-launch.sh [RUNS]   (default 3; the median is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

cargo build -q --release -p guestfsd
cargo build -q --release -p guestfs --example launch
ours=target/release/examples/launch
# Warm the appliance cache (the first launch builds it).
"$ours" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_cmd() { # prints wall seconds of "$@"
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l
}

ours_times=()
lg_times=()
have_lg=0
if command -v guestfish >/dev/null 2>&1; then have_lg=1; fi
for i in $(seq "$runs"); do
    ours_times+=("$(time_cmd "$ours")")
    if [ "$have_lg" = 1 ]; then
        lg_times+=("$(time_cmd guestfish -a /dev/null run)")
    fi
done
o=$(printf '%s\n' "${ours_times[@]}" | median)
printf 'this appliance:   %6.2f s (median of %d: %s)\n' "$o" "$runs" "$(printf '%.2f ' "${ours_times[@]}")"
if [ "$have_lg" = 1 ]; then
    l=$(printf '%s\n' "${lg_times[@]}" | median)
    printf 'libguestfs 1.48:  %6.2f s (median of %d: %s)\n' "$l" "$runs" "$(printf '%.2f ' "${lg_times[@]}")"
    printf 'ratio:            %6.3f (target <= 0.200)\n' "$(echo "$o / $l" | bc -l)"
else
    echo "libguestfs 1.48: guestfish not installed, no comparison"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/bin/bash
# guestfish against libguestfs 1.48's, in one run on this machine, both under TCG:
#  1. `guestfish -N fs -m /dev/sda1 -- write /hello hi : cat /hello`, end to end;
#  2. 1000 small calls (exists, is-file, stat on guest paths) in one session: the time per
#     call is (session with the calls − the same session without them) / 1000;
#  3. upload then download of a 1 GiB file: throughput each way.
# Usage: benches/guestfish.sh [RUNS]   (default 3; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
cargo build -q --release -p virt-tools -p guestfsd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$PWD/target/release/virt-tools" "$work/guestfish"
ours="$work/guestfish"
have_lg=0
if [ -x /usr/bin/guestfish ]; then have_lg=1; fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { # wall seconds of "$@" run in $work
    local s e
    s=$(date +%s.%N)
    (cd "$work" && "$@") >/dev/null 2>"$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; return 1; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l
}
report() { # name ours-times lg-times unit
    local o l
    o=$(printf '%s\n' $2 | median)
    if [ -n "$3" ]; then
        l=$(printf '%s\n' $3 | median)
        printf '%-34s ours %9.4f %s   1.48 %9.4f %s   ratio %.3f\n' "$1" "$o" "$4" "$l" "$4" "$(echo "$o / $l" | bc -l)"
    else
        printf '%-34s ours %9.4f %s   (libguestfs 1.48 not installed)\n' "$1" "$o" "$4"
    fi
}

# Warm the appliance cache.
(cd "$work" && LIBGUESTFS_BACKEND=direct "$ours" -N fs -m /dev/sda1 -- echo warm >/dev/null)

# 1. prepared disk, write, cat
o=""; l=""
for _ in $(seq "$runs"); do
    rm -f "$work"/test*.img
    o="$o $(seconds "$ours" -N fs -m /dev/sda1 -- write /hello hi : cat /hello)"
    if [ "$have_lg" = 1 ]; then
        rm -f "$work"/test*.img
        l="$l $(seconds /usr/bin/guestfish -N fs -m /dev/sda1 -- write /hello hi : cat /hello)"
    fi
done
report "-N fs, write, cat (s)" "$o" "$l" s

# 2. per small call
rm -f "$work"/test*.img
(cd "$work" && LIBGUESTFS_BACKEND=direct "$ours" -N fs -m /dev/sda1 -- touch /x >/dev/null)
{ echo "run"; echo "mount /dev/sda1 /"; } > "$work/base.fish"
cp "$work/base.fish" "$work/calls.fish"
for i in $(seq 334); do printf 'exists /x\nis-file /x\nstat /x\n' >> "$work/calls.fish"; done
per_call() { # guestfish → seconds per call
    local with without
    with=$(seconds "$1" -a test1.img -f calls.fish)
    without=$(seconds "$1" -a test1.img -f base.fish)
    echo "($with - $without) / 1002 * 1000" | bc -l
}
o=""; l=""
for _ in $(seq "$runs"); do
    o="$o $(per_call "$ours")"
    if [ "$have_lg" = 1 ]; then l="$l $(per_call /usr/bin/guestfish)"; fi
done
report "small call (ms each)" "$o" "$l" ms

# 3. 1 GiB upload and download
head -c 1073741824 /dev/urandom > "$work/big"
rm -f "$work"/test*.img
(cd "$work" && LIBGUESTFS_BACKEND=direct "$ours" -N fs:ext4:3G -m /dev/sda1 -- echo made >/dev/null)
{ echo "run"; echo "mount /dev/sda1 /"; } > "$work/base.fish"
{ cat "$work/base.fish"; echo "upload big /big"; } > "$work/up.fish"
{ cat "$work/base.fish"; echo "download /big big.out"; } > "$work/down.fish"
throughput() { # guestfish script → MB/s
    local with without
    with=$(seconds "$1" -a test1.img -f "$2")
    without=$(seconds "$1" -a test1.img -f base.fish)
    echo "1024 / ($with - $without)" | bc -l
}
ou=""; od=""; lu=""; ld=""
for _ in $(seq "$runs"); do
    ou="$ou $(throughput "$ours" up.fish)"
    od="$od $(throughput "$ours" down.fish)"
    cmp -s "$work/big" "$work/big.out" || { echo "download differs from upload" >&2; exit 1; }
    if [ "$have_lg" = 1 ]; then
        lu="$lu $(throughput /usr/bin/guestfish up.fish)"
        ld="$ld $(throughput /usr/bin/guestfish down.fish)"
    fi
done
report "upload 1 GiB (MiB/s)" "$ou" "$lu" MiB/s
report "download 1 GiB (MiB/s)" "$od" "$ld" MiB/s

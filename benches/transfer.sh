#!/bin/bash
# upload then download of a 1 GiB file through guestfish, this project's against libguestfs
# 1.48's (both under TCG): throughput each way. Each figure is the session's wall time minus
# the same session without the transfer.
# Usage: benches/transfer.sh [RUNS]   (default 3; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg LC_ALL=C
unset LIBGUESTFS_DEBUG LIBGUESTFS_TRACE || true
cargo build -q --release -p virt-tools -p guestfsd
work=$(mktemp -d /var/tmp/virt-tools-bench-transfer.XXXXXX)
trap 'rm -rf "$work"' EXIT
ln -s "$PWD/target/release/virt-tools" "$work/guestfish"
ours="$work/guestfish"
have_lg=0
[ -x /usr/bin/guestfish ] && have_lg=1

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { # wall seconds of "$@" run in $work
    local s e
    s=$(date +%s.%N)
    (cd "$work" && "$@") >/dev/null 2>"$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; return 1; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l
}
report() { # name ours-times lg-times
    local o l
    o=$(printf '%s\n' $2 | median)
    if [ -n "$3" ]; then
        l=$(printf '%s\n' $3 | median)
        printf '%-24s ours %8.1f MiB/s   1.48 %8.1f MiB/s   ratio %.2f\n' "$1" "$o" "$l" "$(echo "$o / $l" | bc -l)"
    else
        printf '%-24s ours %8.1f MiB/s   (libguestfs 1.48 not installed)\n' "$1" "$o"
    fi
}

head -c 1073741824 /dev/urandom > "$work/big"
(cd "$work" && LIBGUESTFS_BACKEND=direct "$ours" -N fs:ext4:3G -m /dev/sda1 -- echo made >/dev/null)
{ echo "run"; echo "mount /dev/sda1 /"; } > "$work/base.fish"
{ cat "$work/base.fish"; echo "upload big /big"; } > "$work/up.fish"
{ cat "$work/base.fish"; echo "download /big big.out"; } > "$work/down.fish"
throughput() { # guestfish script → MiB/s
    local with without
    with=$(seconds "$1" -a test1.img -f "$2")
    without=$(seconds "$1" -a test1.img -f base.fish)
    echo "1024 / ($with - $without)" | bc -l
}
ou=""; od=""; lu=""; ld=""
for _ in $(seq "$runs"); do
    ou="$ou $(LIBGUESTFS_BACKEND=direct throughput "$ours" up.fish)"
    od="$od $(LIBGUESTFS_BACKEND=direct throughput "$ours" down.fish)"
    cmp -s "$work/big" "$work/big.out" || { echo "download differs from upload" >&2; exit 1; }
    rm -f "$work/big.out"
    if [ "$have_lg" = 1 ]; then
        lu="$lu $(throughput /usr/bin/guestfish up.fish)"
        ld="$ld $(throughput /usr/bin/guestfish down.fish)"
    fi
done
report "upload 1 GiB" "$ou" "$lu"
report "download 1 GiB" "$od" "$ld"

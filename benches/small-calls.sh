#!/bin/bash
# Times small daemon calls (1000 `exists`) after launch, in one run on this machine:
#   - this project's library and appliance;
#   - libguestfs 1.48's guestfish with its own appliance;
#   - libguestfs 1.48's guestfish with this project's fixed appliance (1.48's library, this
#     daemon), which isolates the daemon's share.
# For guestfish the time of the same script without the calls is subtracted.
#
# Usage: benches/small-calls.sh [CALLS]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-1000}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg LIBGUESTFS_BACKEND=direct
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# An image with an ext4 /dev/sda1.
mkdir -p "$work/src/etc"
truncate -s 64M "$work/disk.img"
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$work/disk.img" >/dev/null
truncate -s 62M "$work/p1.img"
mkfs.ext4 -q -F -d "$work/src" "$work/p1.img"
dd if="$work/p1.img" of="$work/disk.img" bs=512 seek=2048 conv=notrunc status=none

cargo build -q --release -p guestfsd -p virt-tools
CALL_BENCH_IMAGE="$work/disk.img" CALL_BENCH_CALLS=$calls \
    cargo test -q --release -p virt-tools-tests --test call_bench -- --ignored --nocapture 2>&1 \
    | grep 'per call'

if ! command -v guestfish >/dev/null 2>&1; then
    echo "libguestfs 1.48: guestfish not installed, no comparison"
    exit 0
fi
target/release/virt-tools libguestfs-make-fixed-appliance "$work/fixed"
# The calls are timed inside one guestfish session (its `!cmd` runs a shell command), so the
# launch, whose time varies by seconds under TCG, is not part of the figure.
{
    echo run
    echo mount-ro /dev/sda1 /
    echo '!date +%s.%N'
    for _ in $(seq "$calls"); do echo "exists /etc"; done
    echo '!date +%s.%N'
} > "$work/calls.fish"
for label in "1.48 guestfish + 1.48 appliance" "1.48 guestfish + this daemon"; do
    if [ "$label" = "1.48 guestfish + this daemon" ]; then export LIBGUESTFS_PATH="$work/fixed"; fi
    stamps=$(guestfish --ro --format=raw -a "$work/disk.img" -f "$work/calls.fish" | grep -v '^true$')
    s=$(echo "$stamps" | head -1)
    e=$(echo "$stamps" | tail -1)
    printf '%s: %d exists calls in %.3f s: %.1f µs per call\n' "$label" "$calls" \
        "$(echo "$e - $s" | bc -l)" "$(echo "($e - $s) * 1000000 / $calls" | bc -l)"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

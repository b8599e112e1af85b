#!/bin/bash
# Times `sh "echo hi"` round trips (a command run in the guest: bind mounts, chroot, the
# guest's /bin/sh) after launch, in one run on this machine, through guestfish:
#   - this project's guestfish and appliance;
#   - libguestfs 1.48's guestfish with its own appliance (skipped when it is not installed).
# The calls are timed inside the guestfish session (its `!cmd` runs a shell command), so the
# launch, whose time varies by seconds under TCG, is not part of the figure.
#
# Usage: benches/sh-roundtrip.sh [CALLS]   (default 200; BENCH_PROFILE=dev times the debug
# build instead of the release one)
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-200}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg LIBGUESTFS_BACKEND=direct
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A guest with a shell: the host's busybox and the libraries it needs, on an ext4 /dev/sda1.
root="$work/src"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/etc"
for f in /bin/busybox $(ldd /bin/busybox | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
done
ln -s busybox "$root/bin/sh"
truncate -s 64M "$work/disk.img"
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$work/disk.img" >/dev/null
truncate -s 62M "$work/p1.img"
mkfs.ext4 -q -F -d "$root" "$work/p1.img"
dd if="$work/p1.img" of="$work/disk.img" bs=512 seek=2048 conv=notrunc status=none

{
    echo run
    echo mount /dev/sda1 /
    echo 'sh "echo hi"'
    echo '!date +%s.%N'
    for _ in $(seq "$calls"); do echo 'sh "echo hi"'; done
    echo '!date +%s.%N'
} > "$work/calls.fish"

# Prints the time per call of one guestfish.
measure() {
    local label=$1
    shift
    stamps=$("$@" --format=raw -a "$work/disk.img" -f "$work/calls.fish" | grep -E '^[0-9]+\.[0-9]+$')
    s=$(echo "$stamps" | head -1)
    e=$(echo "$stamps" | tail -1)
    printf '%s: %d sh calls in %.3f s: %.2f ms per call\n' "$label" "$calls" \
        "$(echo "$e - $s" | bc -l)" "$(echo "($e - $s) * 1000 / $calls" | bc -l)"
}

profile=${BENCH_PROFILE:-release}
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
cargo build -q --profile "$profile" -p guestfsd -p virt-tools
measure "this project" "target/$dir/virt-tools" guestfish
if command -v guestfish >/dev/null 2>&1; then
    measure "libguestfs 1.48" guestfish
else
    echo "libguestfs 1.48: guestfish not installed, no comparison"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

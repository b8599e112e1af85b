#!/bin/bash
# The native VMDK, VDI, VHD and VHDX readers against the appliance, in the same run:
#
#  1. `virt-ls -lR /` and `virt-cat /etc/fstab` on the demo guest converted by qemu-img to
#     VMDK (monolithic sparse, stream-optimized) and VHDX (dynamic): the native backend's
#     median wall time and the appliance's (LIBGUESTFS_BACKEND=direct, one run: it takes
#     seconds), and how many times faster native is (targets: <= 50 ms, >= 100x);
#  2. sequential reads: `guestfish download /dev/sda -` into sha256sum, of a 1 GiB disk of
#     random bytes in each format, natively, against the same disk as a raw file.
#
# Usage: benches/disk-formats.sh [RUNS]   (default 10; medians are reported). BIN=path/to/
# virt-tools uses an existing build; by default the release build is made first.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LC_ALL=C
unset LIBGUESTFS_BACKEND LIBGUESTFS_DEBUG LIBGUESTFS_TRACE || true

if [ -z "${BIN:-}" ]; then
    cargo build -q --release -p virt-tools -p guestfsd -p virt-tools-tests
    BIN=$PWD/target/release/virt-tools
fi
work=${BENCH_DIR:-/var/tmp/virt-tools-bench-diskfmt}
mkdir -p "$work/bin"
for t in virt-ls virt-cat guestfish; do ln -sf "$BIN" "$work/bin/$t"; done
export PATH="$work/bin:$PATH"
. benches/lib.sh

[ -f "$work/demo.img" ] || "$(dirname "$BIN")/make-demo-image" "$work/demo.img" >/dev/null
convert() { # FORMAT OPTIONS SOURCE OUT
    [ -f "$work/$4" ] || qemu-img convert -q -f raw -O "$1" ${2:+-o "$2"} "$3" "$work/$4"
}
convert vmdk subformat=monolithicSparse "$work/demo.img" demo-sparse.vmdk
convert vmdk subformat=streamOptimized "$work/demo.img" demo-stream.vmdk
convert vhdx subformat=dynamic "$work/demo.img" demo.vhdx

ms() { echo "$1 * 1000" | bc -l; }
printf '%-34s %10s %12s %8s\n' case native-ms appliance-ms speedup
for img in demo-sparse.vmdk demo-stream.vmdk demo.vhdx; do
    for cmd in "virt-ls -a $img -lR /" "virt-cat -a $img /etc/fstab"; do
        native=$(measure "LIBGUESTFS_BACKEND=native $cmd")
        appliance=$(wall "LIBGUESTFS_BACKEND=direct $cmd")
        printf '%-34s %10.1f %12.1f %7.0fx\n' "${cmd%% -a*} $img" "$(ms "$native")" \
            "$(ms "$appliance")" "$(echo "$appliance / $native" | bc -l)"
    done
done

# 1 GiB of random bytes (incompressible: the stream-optimized grains all need inflating).
[ -f "$work/big.raw" ] || head -c 1073741824 /dev/urandom > "$work/big.raw"
convert vmdk subformat=monolithicSparse "$work/big.raw" big-sparse.vmdk
convert vmdk subformat=streamOptimized "$work/big.raw" big-stream.vmdk
convert vdi "" "$work/big.raw" big.vdi
convert vpc subformat=dynamic "$work/big.raw" big.vhd
convert vhdx subformat=dynamic "$work/big.raw" big.vhdx
echo
printf '%-22s %8s %10s\n' image seconds MB/s
for spec in raw:big.raw vmdk:big-sparse.vmdk vmdk:big-stream.vmdk vdi:big.vdi vpc:big.vhd \
            vhdx:big.vhdx; do
    f=${spec%%:*} img=${spec#*:}
    t=$(measure "LIBGUESTFS_BACKEND=native guestfish --ro --format=$f -a $img run : download /dev/sda - | sha256sum")
    printf '%-22s %8.2f %10.0f\n' "$img" "$t" "$(echo "1073741824 / $t / 1000000" | bc -l)"
done

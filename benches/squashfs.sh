#!/bin/bash
# Times the read tools on a squashfs image of a couple of thousand files (made by mksquashfs
# from libguestfs-core/tests/data/squashfs-populate.sh's tree) with the native reader and with
# the appliance (LIBGUESTFS_BACKEND=direct) in the same run.
# Target (issue 13): at most 50 ms native and at least 100 times faster than the appliance.
#   benches/squashfs.sh [RUNS]   (appliance runs: RUNS too, default 3; native: hyperfine)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v hyperfine >/dev/null || apt-get install -y -q hyperfine >/dev/null
cargo build --release --quiet -p virt-tools -p guestfsd
bin=$PWD/target/release/virt-tools
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}/squashfs
mkdir -p "$work/bin"
for t in virt-ls virt-cat virt-df virt-filesystems; do ln -sf "$bin" "$work/bin/$t"; done
PATH="$work/bin:$PATH"
export TZ=UTC LANG=C LC_ALL=C LIBGUESTFS_BACKEND_SETTINGS=force_tcg
. benches/lib.sh

img=$work/squashfs.img
if [ ! -f "$img" ]; then
  rm -rf "$work/src"
  mkdir -p "$work/src"
  bash libguestfs-core/tests/data/squashfs-populate.sh "$work/src"
  mksquashfs "$work/src" "$img.tmp" -noappend -quiet -no-progress -comp xz >/dev/null
  rm -rf "$work/src"
  mv "$img.tmp" "$img"
fi
echo "image: $(LIBGUESTFS_BACKEND=native virt-ls -a "$img" -m /dev/sda -R / | wc -l) entries (xz)"

printf '%-34s %10s %10s %9s\n' case native appliance speedup
one() {
  local name=$1; shift
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/h.json" \
    "env LIBGUESTFS_BACKEND=native $*" >/dev/null 2>&1
  local native
  native=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/h.json")
  local direct
  direct=$(measure "LIBGUESTFS_BACKEND=direct $*")
  printf '%-34s %8.1fms %9.2fs %8.0fx\n' "$name" "$(echo "$native * 1000" | bc -l)" "$direct" \
    "$(echo "$direct / $native" | bc -l)"
}
one "virt-ls -lR /" virt-ls -a "$img" -m /dev/sda -lR /
one "virt-cat /files/sparse (8 MiB)" virt-cat -a "$img" -m /dev/sda /files/sparse
one "virt-cat /files/random (1 MiB)" virt-cat -a "$img" -m /dev/sda /files/random
one "virt-df" virt-df -a "$img"
one "virt-filesystems -l" virt-filesystems -a "$img" --all --long

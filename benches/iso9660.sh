#!/bin/bash
# Times the read tools on an ISO 9660 image with Rock Ridge and Joliet (made by xorriso from
# libguestfs-core/tests/data/iso-populate.sh's tree) with the native reader and with the
# appliance (LIBGUESTFS_BACKEND=direct) in the same run.
# Target (issue 13): at most 50 ms native and at least 100 times faster than the appliance.
#   benches/iso9660.sh [RUNS]   (appliance runs: RUNS too, default 3; native: hyperfine)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v hyperfine >/dev/null || apt-get install -y -q hyperfine >/dev/null
cargo build --release --quiet -p virt-tools -p guestfsd
bin=$PWD/target/release/virt-tools
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}/iso9660
mkdir -p "$work/bin"
for t in virt-ls virt-cat virt-df virt-filesystems; do ln -sf "$bin" "$work/bin/$t"; done
PATH="$work/bin:$PATH"
export TZ=UTC LANG=C LC_ALL=C LIBGUESTFS_BACKEND_SETTINGS=force_tcg
. benches/lib.sh

img=$work/rj.iso
if [ ! -f "$img" ]; then
  rm -rf "$work/src"
  mkdir -p "$work/src"
  bash libguestfs-core/tests/data/iso-populate.sh "$work/src"
  # A few thousand more files, and one of 8 MiB.
  mkdir -p "$work/src/bulk"
  for d in $(seq 1 20); do
    mkdir "$work/src/bulk/d$d"
    for f in $(seq 1 100); do echo "$d $f" > "$work/src/bulk/d$d/file-$f"; done
  done
  head -c 8388608 /dev/urandom > "$work/src/dir/big"
  xorriso -as mkisofs -R -J -V BENCH -o "$img.tmp" "$work/src" >/dev/null 2>&1
  mv "$img.tmp" "$img"
fi
echo "image: $(LIBGUESTFS_BACKEND=native virt-ls -a "$img" -m /dev/sda -R / | wc -l) entries"

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
one "virt-cat /dir/big (8 MiB)" virt-cat -a "$img" -m /dev/sda /dir/big
one "virt-df" virt-df -a "$img"
one "virt-filesystems -l" virt-filesystems -a "$img" --all --long

#!/bin/bash
# Times the read tools on md RAID arrays made by mdadm in the appliance
# (libguestfs-core/tests/data/md-make.sh: four disks, raid1/0/5/6/10/4, ext4 with a 5 MB
# file) with the native md reader and with the appliance (LIBGUESTFS_BACKEND=direct) in the
# same run. Target (issue 13): at most 50 ms native and at least 100 times faster than the
# appliance.
#   benches/md.sh [RUNS]   (appliance runs: RUNS too, default 3; native: hyperfine)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v hyperfine >/dev/null || apt-get install -y -q hyperfine >/dev/null
cargo build --release --quiet -p virt-tools -p guestfsd
bin=$PWD/target/release/virt-tools
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}/md
mkdir -p "$work/bin"
for t in virt-ls virt-cat virt-df virt-filesystems; do ln -sf "$bin" "$work/bin/$t"; done
PATH="$work/bin:$PATH"
export TZ=UTC LANG=C LC_ALL=C LIBGUESTFS_BACKEND_SETTINGS=force_tcg
. benches/lib.sh

if [ ! -f "$work/img/made" ]; then
  LIBGUESTFS_BACKEND=direct bash libguestfs-core/tests/data/md-make.sh "$bin guestfish" "$work/img"
fi
d="-a $work/img/a.img -a $work/img/b.img -a $work/img/c.img -a $work/img/d.img"

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
# shellcheck disable=SC2086
{
one "virt-ls -lR / (raid5)" virt-ls $d -m /dev/md125 -lR /
one "virt-cat /big.bin (raid5, 5 MB)" virt-cat $d -m /dev/md125 /big.bin
one "virt-cat /big.bin (raid6 0.90)" virt-cat $d -m /dev/md124 /big.bin
one "virt-cat /big.bin (raid10 1.0)" virt-cat $d -m /dev/md123 /big.bin
one "virt-filesystems --all --long" virt-filesystems $d --all --long
one "virt-df" virt-df $d
}

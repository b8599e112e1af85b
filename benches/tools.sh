#!/bin/sh
# Times the read tools on the demo image and on the ../shared/fixtures images with hyperfine
# (warm page cache), and the throughput of virt-tar-out/virt-copy-out on a 1 GiB tree.
# Prints one line per command with the mean wall time; compare with the targets in the
# issues (25 ms per read command, 50 ms per virt-inspector, 1 GB/s for tar-out/copy-out).
#   benches/tools.sh [quick]
set -eu
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get install -y -q hyperfine >/dev/null 2>&1 || true; }
cargo build --release --quiet -p virt-tools -p virt-tools-tests
bin=$PWD/target/release/virt-tools
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}
mkdir -p "$work/bin"
for t in $("$bin" --list); do ln -sf "$bin" "$work/bin/$t"; done
PATH="$work/bin:$PATH"
export TZ=UTC LANG=C LC_ALL=C

[ -f "$work/demo.img" ] || target/release/make-demo-image "$work/demo.img" >/dev/null
if [ -d ../shared/fixtures ]; then ../shared/fixtures/unpack.sh "$work/fixtures" >/dev/null; fi

results="$work/results.md"
: > "$results"
bench() {
  name=$1; shift
  hyperfine --warmup 3 --runs 20 -N --export-markdown "$work/one.md" -- "$*" >/dev/null 2>&1 || {
    echo "| $name | FAILED | |" >> "$results"; return; }
  mean=$(sed -n '3p' "$work/one.md" | awk -F'|' '{print $3}' | sed 's/ //g')
  echo "| $name | $mean ms | \`$*\` |" | tee -a "$results"
}

echo "| case | mean | command |"
bench demo.filesystems virt-filesystems -a "$work/demo.img" --all --long -h
bench demo.ls-lR virt-ls -a "$work/demo.img" -lR /
bench demo.cat virt-cat -a "$work/demo.img" /etc/fstab
bench demo.inspector virt-inspector -a "$work/demo.img"
bench demo.df virt-df -a "$work/demo.img"
bench demo.alignment virt-alignment-scan -a "$work/demo.img"
if [ -d "$work/fixtures" ]; then
  for img in "$work"/fixtures/*.img; do
    n=$(basename "$img" .img)
    bench "$n.filesystems" virt-filesystems -a "$img" --all --long --uuid
    bench "$n.df" virt-df -a "$img"
    bench "$n.alignment" virt-alignment-scan -a "$img"
    case $n in blank-*) continue ;; esac
    bench "$n.inspector" virt-inspector -a "$img"
    bench "$n.ls-lR" virt-ls -a "$img" -lR /
    bench "$n.cat" sh -c "virt-cat -a $img /etc/fstab >/dev/null 2>&1 || true"
  done
fi

[ "${1:-}" = quick ] && exit 0

# 1 GiB tree: 48 files of 16 MiB, 4096 files of 64 KiB.
big="$work/big.img"
if [ ! -f "$big" ]; then
  tree="$work/bigtree"
  rm -rf "$tree"; mkdir -p "$tree/large" "$tree/small"
  i=0; while [ $i -lt 48 ]; do head -c 16777216 /dev/urandom > "$tree/large/f$i"; i=$((i+1)); done
  head -c 65536 /dev/urandom > "$tree/small/seed"
  i=0; while [ $i -lt 4096 ]; do cp "$tree/small/seed" "$tree/small/f$i"; i=$((i+1)); done
  rm "$tree/small/seed"
  mkfs.ext4 -q -F -d "$tree" "$big" 1300M
  rm -rf "$tree"
fi
bytes=$(( 48 * 16777216 + 4096 * 65536 ))
cat "$big" > /dev/null
t0=$(date +%s.%N); virt-tar-out -a "$big" -m /dev/sda / - > /dev/null; t1=$(date +%s.%N)
echo "| tar-out 1 GiB | $(echo "$bytes / ($t1 - $t0) / 1000000000" | bc -l | cut -c1-5) GB/s | virt-tar-out -a big.img -m /dev/sda / - |" | tee -a "$results"
rm -rf "$work/copyout"; mkdir -p "$work/copyout"
t0=$(date +%s.%N); virt-copy-out -a "$big" -m /dev/sda /large /small "$work/copyout"; t1=$(date +%s.%N)
echo "| copy-out 1 GiB | $(echo "$bytes / ($t1 - $t0) / 1000000000" | bc -l | cut -c1-5) GB/s | virt-copy-out -a big.img -m /dev/sda /large /small DIR |" | tee -a "$results"
rm -rf "$work/copyout"

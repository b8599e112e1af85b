#!/bin/bash
# Times virt-ls -R and -lR on the native backend (warm page cache, hyperfine):
#  - on a Debian 12 guest (issue 13: -lR within 2x of -R, and at most 25 ms): the image in
#    $DEBIAN_IMG, or one made with mkfs.ext4 -d from the debootstrap tree in $DEBIAN_TREE
#    (default /var/tmp/inspect-debootstrap/bookworm; skipped when neither exists);
#  - on synthetic ext4 images of 10,000, 100,000 and 1,000,000 entries (1,000 files per
#    directory), to show the time grows linearly (issue 13: 1,000,000 entries in at most 5 s).
# Usage: benches/ls-scale.sh [MAX_ENTRIES]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
max=${1:-1000000}
command -v hyperfine >/dev/null || apt-get install -y -q hyperfine >/dev/null
cargo build -q --release -p virt-tools
bin=$PWD/target/release/virt-tools
work=${BENCH_DIR:-/var/tmp/virt-tools-bench}/ls-scale
mkdir -p "$work/bin"
ln -sf "$bin" "$work/bin/virt-ls"
export LIBGUESTFS_BACKEND=native TZ=UTC LANG=C LC_ALL=C

# Mean milliseconds of a command over hyperfine's runs.
mean_ms() {
    hyperfine -N --warmup 2 --runs "$1" --export-json "$work/one.json" -- "$2" >/dev/null 2>&1
    python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["mean"]*1000))' "$work/one.json"
}

report() {   # name image runs
    local r l
    r=$(mean_ms "$3" "$work/bin/virt-ls -a $2 -m /dev/sda -R /")
    l=$(mean_ms "$3" "$work/bin/virt-ls -a $2 -m /dev/sda -lR /")
    printf '%-22s entries %8s   -R %9s ms   -lR %9s ms   -lR/-R %s\n' "$1" \
        "$("$work/bin/virt-ls" -a "$2" -m /dev/sda -R / | wc -l)" "$r" "$l" \
        "$(echo "scale=2; $l / $r" | bc)"
}

debian=${DEBIAN_IMG:-}
tree=${DEBIAN_TREE:-/var/tmp/inspect-debootstrap/bookworm}
if [ -z "$debian" ] && [ -d "$tree" ]; then
    debian=$work/debian.img
    if [ ! -f "$debian" ]; then
        truncate -s 2G "$debian"
        mkfs.ext4 -q -F -d "$tree" "$debian"
    fi
fi
if [ -n "$debian" ]; then
    report "debian-12" "$debian" 30
else
    echo "debian-12: skipped (no \$DEBIAN_IMG, no debootstrap tree in $tree)"
fi

for n in 10000 100000 1000000; do
    [ "$n" -le "$max" ] || break
    img=$work/synthetic-$n.img
    if [ ! -f "$img" ]; then
        src=$work/tree-$n
        rm -rf "$src"
        python3 - "$src" "$n" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d)
    os.close(os.open(os.path.join(d, "file-with-a-longer-name-%07d" % i), os.O_CREAT | os.O_WRONLY, 0o644))
EOF
        truncate -s $(( n / 1000 * 8 + 64 ))M "$img"
        mkfs.ext4 -q -F -N $(( n + n / 1000 + 1024 )) -d "$src" "$img"
        rm -rf "$src"
    fi
    runs=10; [ "$n" -ge 1000000 ] && runs=3
    report "synthetic-$n" "$img" "$runs"
done

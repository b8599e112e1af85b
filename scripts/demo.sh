#!/bin/sh
# Builds virt-tools and its appliance daemon, installs them into target/demo, makes a small
# sample guest image with standard tools (mkfs.ext4 -d, sfdisk, qemu-img), and looks inside it
# with virt-filesystems, virt-ls, virt-cat and virt-inspector, and with virt-df on the appliance.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
# The first build takes minutes: cargo shows what it compiles (no --quiet).
cargo build --release -p virt-tools -p guestfsd -p virt-tools-libvirt -p virt-tools-tests

demo=${DEMO_DIR:-target/demo}
mkdir -p "$demo/bin"
packaging/install.sh "$PWD/$demo" >/dev/null
target/release/make-demo-image "$demo/demo.img" >/dev/null
PATH="$PWD/$demo/bin:$PATH"

run() { echo "\$ $*"; "$@"; echo; }
run virt-filesystems -a "$demo/demo.img" --all --long -h
run virt-ls -a "$demo/demo.qcow2" -lR /etc
run virt-cat -a "$demo/demo.img" /etc/fstab
run virt-inspector -a "$demo/demo.img"
# The same disk through the appliance: a VM running the installed guestfsd (seconds, not ms).
run env LIBGUESTFS_BACKEND=direct virt-df -a "$demo/demo.img" -h

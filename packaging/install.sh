#!/bin/sh
# Installs virt-tools into PREFIX: the binary in PREFIX/bin with one symlink per tool, the
# appliance daemon in PREFIX/lib/virt-tools, and the man pages in PREFIX/share/man/man1.
# Run-time dependency: the binary links libvirt.so.0 (Debian: libvirt0) for -d/-c; guestfsd
# does not.
set -eu
prefix=${1:?usage: packaging/install.sh PREFIX}
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/target/release/virt-tools"
[ -x "$bin" ] || { echo "install.sh: $bin not found: run cargo build --release first" >&2; exit 1; }
mkdir -p "$prefix/bin" "$prefix/lib/virt-tools" "$prefix/share/man/man1"
install -m 0755 "$bin" "$prefix/bin/virt-tools"
for tool in $("$bin" --list); do
  ln -sf virt-tools "$prefix/bin/$tool"
done
if [ -x "$here/target/release/guestfsd" ]; then
  install -m 0755 "$here/target/release/guestfsd" "$prefix/lib/virt-tools/guestfsd"
fi
for page in "$here"/man/*.1; do
  [ -f "$page" ] && install -m 0644 "$page" "$prefix/share/man/man1/"
done
echo "$prefix"

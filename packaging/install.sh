#!/bin/sh
# Installs virt-tools into PREFIX: the binary in PREFIX/bin with one symlink per tool, the
# appliance daemon and the libvirt helper in PREFIX/lib/virt-tools (where the binary looks for
# them, ../lib/virt-tools),
# the man pages in PREFIX/share/man/man1 and the bash completion in
# PREFIX/share/bash-completion/completions (one name per tool, as bash-completion loads them).
# With DESTDIR, everything goes under DESTDIR/PREFIX (for packaging: packaging/build-deb.sh).
# The binaries come from VIRT_TOOLS_BUILD_DIR (default: target/release).
# Run-time dependency: the libvirt helper (virt-tools-libvirt, run for -d/-c) links
# libvirt.so.0 (Debian: libvirt0); virt-tools and guestfsd do not.
set -eu
prefix=${1:?usage: packaging/install.sh PREFIX}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${VIRT_TOOLS_BUILD_DIR:-$here/target/release}
bin="$build/virt-tools"
daemon="$build/guestfsd"
libvirt_helper="$build/virt-tools-libvirt"
for built in "$bin" "$daemon" "$libvirt_helper"; do
  [ -x "$built" ] || {
    echo "install.sh: $built not found: run cargo build --release -p virt-tools -p guestfsd -p virt-tools-libvirt first" >&2
    exit 1
  }
done
root="${DESTDIR:-}$prefix"
completions="$root/share/bash-completion/completions"
mkdir -p "$root/bin" "$root/lib/virt-tools" "$root/share/man/man1" "$completions"
install -m 0755 "$bin" "$root/bin/virt-tools"
install -m 0755 "$daemon" "$root/lib/virt-tools/guestfsd"
install -m 0755 "$libvirt_helper" "$root/lib/virt-tools/virt-tools-libvirt"
install -m 0644 "$here/packaging/bash-completion" "$completions/virt-tools"
tools=$("$bin" --list)
for tool in $tools; do
  ln -sf virt-tools "$root/bin/$tool"
  ln -sf virt-tools "$completions/$tool"
done
for page in "$here"/man/*.1; do
  install -m 0644 "$page" "$root/share/man/man1/"
done
echo "$root"

#!/bin/sh
# Builds a Debian package of virt-tools from what `cargo build --release -p virt-tools -p
# guestfsd -p virt-tools-libvirt` left in target/release (or VIRT_TOOLS_BUILD_DIR, see packaging/install.sh):
# packaging/build-deb.sh [OUTDIR] writes
# OUTDIR/virt-tools_VERSION_ARCH.deb (OUTDIR defaults to target/debian) and prints its path.
#
# The package installs what packaging/install.sh installs, into /usr. Its dependencies:
# - the shared libraries virt-tools, guestfsd and the libvirt helper link (dpkg-shlibdeps);
# - what the appliance is built from on the host (appliance/src/lib.rs): qemu, the kernel and
#   its modules, mke2fs (the appliance's disk) and xz (unpacking the kernel), and the programs
#   of appliance/contents/boot.txt; qemu-img, which the library runs for disk formats;
# - recommended: the programs and files of the other appliance/contents lists (each family of
#   calls works when they are there), strip (a smaller appliance) and bash-completion.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$here/target/debian}" && cd "${1:-$here/target/debian}" && pwd)
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool not found (apt-get install dpkg-dev)" >&2; exit 1; }
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/virt-tools-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# debian/PACKAGE: where dpkg-shlibdeps expects the files of the package.
root="$stage/debian/virt-tools"
DESTDIR="$root" "$here/packaging/install.sh" /usr >/dev/null
gzip -9n "$root"/usr/share/man/man1/*.1
doc="$root/usr/share/doc/virt-tools"
mkdir -p "$doc"
cat >"$doc/copyright" <<'COPYRIGHT'
virt-tools: libguestfs 1.48's virt tools rebuilt in Rust.

The tools (virt-tools, guestfsd) are licensed under the GNU General Public License, version 2
or later: /usr/share/common-licenses/GPL-2. The library they are built on is licensed under
the GNU Lesser General Public License, version 2.1 or later:
/usr/share/common-licenses/LGPL-2.1.
COPYRIGHT

# The host path of each entry of appliance/contents lists (a program name or an absolute path;
# a directory stands for its first file), one a line; entries not on this host are left out.
paths_of_lists() {
  # shellcheck disable=SC2013 # one entry a line, no blanks in entries
  for entry in $(sed 's/#.*//' "$@"); do
    case "$entry" in
      /*) path=$entry ;;
      *) path=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$entry" || true) ;;
    esac
    [ -d "$path" ] && path=$(find "$path" -type f | LC_ALL=C sort | head -n 1)
    if [ -e "$path" ]; then
      echo "$path"
    else
      echo "build-deb.sh: note: $entry is not on this host" >&2
    fi
  done
}

# The packages owning the given paths, one a line (one dpkg-query for all: with merged /usr,
# dpkg may know a path without its /usr prefix). $1 = strict: a path no package owns fails.
packages_of() {
  strict=$1
  shift
  [ $# -gt 0 ] || return 0
  owners=$(for p in "$@"; do echo "$p"; echo "${p#/usr}"; done | sort -u \
    | xargs dpkg-query -S 2>/dev/null | grep -v '^diversion by' || true)
  for p in "$@"; do
    echo "$owners" | sed 's/.*: //' | grep -qxF -e "$p" -e "${p#/usr}" && continue
    [ "$strict" = strict ] || continue
    echo "build-deb.sh: no installed package provides $p (the appliance needs it)" >&2
    exit 1
  done
  # Essential packages are always installed: not worth naming.
  echo "$owners" | sed 's/: .*//; s/, /\n/g' | sed 's/:[a-z0-9]*$//' | sort -u \
    | while read -r package; do
        [ "$(dpkg-query -W -f='${Essential}' "$package")" = yes ] || echo "$package"
      done
}

joined() { LC_ALL=C sort -u | paste -sd, - | sed 's/,/, /g'; }

contents="$here/appliance/contents"
# shellcheck disable=SC2046
boot=$(packages_of strict $(paths_of_lists "$contents/boot.txt"))
others=""
for list in "$contents"/*.txt; do
  [ "$list" = "$contents/boot.txt" ] || others="$others $list"
done
# shellcheck disable=SC2046,SC2086
extras=$(packages_of lenient $(paths_of_lists $others))

# dpkg-shlibdeps reads debian/control from the current directory, and finds a binary's package
# by the DEBIAN folder above it.
mkdir -p "$root/DEBIAN"
printf 'Source: virt-tools\n\nPackage: virt-tools\nArchitecture: any\n' >"$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O debian/virt-tools/usr/bin/virt-tools debian/virt-tools/usr/lib/virt-tools/guestfsd \
  debian/virt-tools/usr/lib/virt-tools/virt-tools-libvirt \
  | sed -n 's/^shlibs:Depends=//p')

depends=$(
  { echo "$shlibs" | tr ',' '\n' | sed 's/^ *//'
    printf '%s\n' qemu-system-x86 qemu-utils e2fsprogs xz-utils \
      'linux-image-amd64 | linux-image-cloud-amd64'
    echo "$boot"
  } | grep -v '^$' | joined
)
recommends=$(
  { echo "$extras"; printf '%s\n' binutils bash-completion fuse3 psmisc; } | grep -v '^$' \
    | grep -vxF "$(echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//')" | joined
)

version=$("$root/usr/bin/virt-tools" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
cat >"$root/DEBIAN/control" <<CONTROL
Package: virt-tools
Version: $version
Architecture: $arch
Maintainer: virt-tools developers <virt-tools@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: $recommends
Conflicts: guestfs-tools, libguestfs-tools
Section: admin
Priority: optional
Homepage: https://libguestfs.org/
Description: libguestfs 1.48's virt tools as one Rust binary
 guestfish, virt-cat, virt-ls, virt-filesystems, virt-inspector, virt-df, virt-log,
 virt-tail, virt-diff, virt-tar-out, virt-copy-out, virt-win-reg, virt-alignment-scan,
 virt-copy-in, virt-tar-in, virt-edit, virt-format, virt-make-fs, virt-rescue, guestmount,
 guestunmount and libguestfs-test-tool with libguestfs 1.48's options and output, reading disk images
 in-process when they can and through a small qemu appliance (with the guestfsd daemon)
 otherwise.
CONTROL
deb="$out/virt-tools_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"

#!/bin/sh
# Regenerates the golden outputs of tests/guestfish.rs with libguestfs 1.48's guestfish itself
# (Debian's libguestfs-tools, installed on the developer's machine; never in CI). The images
# are built reproducibly by make-test-images, so the outputs stay valid.
#   tests/golden/guestfish/regenerate.sh [CASE…]     (FORCE=1 to redo cases already made)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
[ -x /usr/bin/guestfish ] || { echo "libguestfs 1.48's guestfish is not installed" >&2; exit 1; }
cargo build --quiet --manifest-path "$root/Cargo.toml" -p virt-tools-tests --bin make-test-images
images=${IMAGES:-/tmp/virt-tools-golden-images}
[ -f "$images/gpt.img" ] || "$root/target/debug/make-test-images" "$images" >/dev/null
# The fixture images (../shared/fixtures, when present) serve the cases named fixture-*.
fixtures=${FIXTURES:-/tmp/virt-tools-golden-fixtures}
if [ -x "$root/../shared/fixtures/unpack.sh" ] && [ ! -f "$fixtures/windows.img" ]; then
  "$root/../shared/fixtures/unpack.sh" "$fixtures" >/dev/null
fi
work=$(mktemp -d /tmp/guestfish-golden.XXXXXX)
trap 'rm -rf "$work"' EXIT
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LANG=C LC_ALL=C PATH=/usr/bin:/bin
unset TERM GUESTFISH_PID LIBGUESTFS_BACKEND LIBGUESTFS_DEBUG LIBGUESTFS_TRACE || true
grep -v '^#' "$here/cases.txt" | while IFS='	' read -r name cmd; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ]; then
    case " $* " in *" $name "*) ;; *) continue ;; esac
  elif [ "${FORCE:-0}" != 1 ] && [ -s "$here/$name.rc" ]; then
    continue
  fi
  # A fresh directory per case: the images (read-only links), the scripts, an empty HOME.
  dir="$work/$name"
  mkdir -p "$dir/home"
  for i in "$images"/*.img; do ln -s "$i" "$dir/"; done
  case $name in fixture-*)
    [ -f "$fixtures/windows.img" ] || { echo "$name: no fixtures, skipped"; continue; }
    for i in "$fixtures"/*.img; do ln -s "$i" "$dir/"; done ;;
  esac
  cp -r "$here/scripts" "$dir/scripts"
  printf '%s\n' "$cmd" > "$here/$name.cmd"
  rc=0
  (cd "$dir" && HOME="$dir/home" sh -c "$cmd" > "$here/$name.out" 2> "$here/$name.err" < /dev/null) || rc=$?
  echo "$rc" > "$here/$name.rc"
  echo "$name: exit $rc"
done

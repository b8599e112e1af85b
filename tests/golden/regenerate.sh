#!/bin/sh
# Regenerates the golden outputs of tests/images.rs (or, given a folder such as libvirt/, of
# the cases in that folder) with libguestfs 1.48 itself (Debian's libguestfs-tools and
# guestfs-tools, installed on the developer's machine; never in CI). The images are built
# reproducibly by make-test-images, so the outputs stay valid. A folder with a guests.xml
# (libvirt's test driver) has it copied next to the images, where its cases run.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$(cd "${1:-$(dirname "$0")}" && pwd)
cargo build --quiet --manifest-path "$root/Cargo.toml" -p virt-tools-tests --bin make-test-images
images=${IMAGES:-/tmp/virt-tools-golden-images}
[ -f "$images/gpt.img" ] || "$root/target/debug/make-test-images" "$images" >/dev/null
[ ! -f "$here/guests.xml" ] || cp "$here/guests.xml" "$images/guests.xml"
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg TZ=UTC LANG=C LC_ALL=C PATH=/usr/bin:/bin
grep -v '^#' "$here/cases.txt" | while IFS='	' read -r name cmd; do
  [ -n "$name" ] || continue
  # Cases already made are kept unless FORCE=1 (each takes libguestfs 10-60 s here).
  [ "${FORCE:-0}" = 1 ] || [ ! -s "$here/$name.rc" ] || continue
  printf '%s\n' "$cmd" > "$here/$name.cmd"
  rc=0
  (cd "$images" && sh -c "$cmd" > "$here/$name.out" 2> "$here/$name.err" < /dev/null) || rc=$?
  echo "$rc" > "$here/$name.rc"
  echo "$name: exit $(cat "$here/$name.rc")"
done

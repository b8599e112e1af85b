#!/bin/sh
# Captures the expected outputs of every script here from libguestfs 1.48's own guestfish
# and appliance (the reference; never needed to run the tests):
#   tests/calls/regenerate.sh [SCRIPT.fish …]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v guestfish >/dev/null || { echo "regenerate.sh: libguestfs 1.48's guestfish is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/make-iso.sh" "$work/test.iso"
[ $# -gt 0 ] || set -- "$here"/*.fish
cd "$work"
for script in "$@"; do
  name=$(basename "$script" .fish)
  script="$here/$name.fish"
  [ "$name" = prelude ] && continue
  { sed "s|@ISO@|$work/test.iso|" "$here/prelude.fish"; cat "$script"; } > "$work/$name.fish"
  # A script's `# 1.48-packages: P…` line names Debian packages that 1.48's own appliance
  # lacks: they are added to a copy of its supermin description for that script.
  packages=$(sed -n 's/^# 1.48-packages: //p' "$script")
  unset LIBGUESTFS_PATH
  if [ -n "$packages" ]; then
    mkdir -p "$work/lgpath/supermin.d"
    ln -sf /usr/lib/x86_64-linux-gnu/guestfs/supermin.d/* "$work/lgpath/supermin.d/"
    printf '%s\n' $packages > "$work/lgpath/supermin.d/packages-extra"
    export LIBGUESTFS_PATH=$work/lgpath
  fi
  rc=0
  # setsid: no controlling terminal, so passphrases are read from the script itself.
  LIBGUESTFS_BACKEND_SETTINGS=force_tcg setsid -w guestfish < "$work/$name.fish" \
    > "$here/expected/$name.out" 2> "$here/expected/$name.err" || rc=$?
  echo "$rc" > "$here/expected/$name.rc"
  echo "$name: exit $rc"
done

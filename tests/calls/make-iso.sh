#!/bin/sh
# Builds the read-only test ISO the scripts mount as /dev/sdd: make-iso.sh OUTPUT.iso
set -eu
out=$1
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/directory"
for i in 1 2 3; do printf 'known file %s\n' "$i" > "$tree/known-$i"; done
printf 'abcdefghijklmnopqrstuvwxyz\n' > "$tree/directory/alphabet"
xorriso -as mkisofs -quiet -R -J -V TESTISO -o "$out" "$tree" 2>/dev/null

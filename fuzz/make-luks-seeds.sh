#!/bin/sh
# Writes small LUKS1 and LUKS2 volumes made by cryptsetup (headers, keyslot areas and a few
# sectors of data) into seeds/luks, as seeds for the luks target; the LUKS2 JSON metadata
# also goes there alone, behind the 0xff byte that makes the target parse JSON directly.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/seeds/luks"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf secret > "$work/key"
small2="--luks2-metadata-size 16k --luks2-keyslots-size 128k --offset 336"
while read -r name type size args; do
  img="$out/$name"
  rm -f "$img"
  truncate -s "$size" "$img"
  # shellcheck disable=SC2086
  cryptsetup luksFormat -q --type "$type" --key-size 256 --key-file "$work/key" $args "$img"
done <<LIST
luks1-sha256 luks1 140K --pbkdf pbkdf2 --pbkdf-force-iterations 1000
luks1-sha1-cbc luks1 140K --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha1 --cipher aes-cbc-essiv:sha256
luks2-pbkdf2 luks2 176K --pbkdf pbkdf2 --pbkdf-force-iterations 1000 $small2
luks2-argon2id luks2 176K --pbkdf argon2id --pbkdf-memory 64 --pbkdf-force-iterations 4 --pbkdf-parallel 1 $small2
luks2-argon2i-4k luks2 176K --pbkdf argon2i --pbkdf-memory 64 --pbkdf-force-iterations 4 --pbkdf-parallel 1 --sector-size 4096 $small2
LIST
# LUKS1 reserves room for eight keyslots before the data; only slot 0 is in use, so the data
# is moved to right after it (payloadOffset, big-endian at byte 104) to keep the seeds small.
for name in luks1-sha256 luks1-sha1-cbc; do
  printf '\000\000\001\010' | dd of="$out/$name" bs=1 seek=104 conv=notrunc 2>/dev/null
  truncate -s 136K "$out/$name"
done
for name in luks2-pbkdf2 luks2-argon2id luks2-argon2i-4k; do
  { printf '\377'; dd if="$out/$name" bs=4096 skip=1 count=3 2>/dev/null | tr -d '\000'; } > "$out/$name.json"
done

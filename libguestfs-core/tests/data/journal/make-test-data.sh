#!/bin/bash
# Regenerates the journal test data in this folder (tests/journal.rs reads it).
# Needs: systemd-journal-remote and journalctl (Debian: systemd-journal-remote, systemd),
# python3, liblzma5, liblz4-1, libzstd1, xz. The expected *.digest files are what journalctl
# itself reads from the files (fields in order, each as NAME LENGTH SHA256).
# fedora-system.journal.xz is not made here: it is /var/log/journal/*/system.journal of the
# fedora fixture image (libguestfs's phony Fedora guest), compressed with xz.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
remote=/lib/systemd/systemd-journal-remote
python3 "$here/gen.py"

# journal-remote preallocates 8 MiB; keep the header and arena only (as sd-journal allows).
trim() {
    python3 - "$1" <<'PY'
import struct, sys
p = sys.argv[1]
d = open(p, 'rb').read()
hs, arena = struct.unpack_from('<QQ', d, 88)
open(p, 'wb').write(d[:hs + arena])
PY
}
pack() { trim "$1"; xz -9 -c "$1" > "$2"; }

$remote -o remote-compact.journal main.export
SYSTEMD_JOURNAL_COMPACT=0 SYSTEMD_JOURNAL_KEYED_HASH=0 $remote -o remote-regular.journal main.export
$remote --compress=no -o remote-plain.journal main.export
for v in compact regular plain; do pack remote-$v.journal "$here/remote-$v.journal.xz"; done
python3 "$here/digest.py" --file remote-compact.journal > "$here/remote.digest"

for c in none xz lz4 zstd; do
    for m in regular compact; do
        python3 "$here/writer.py" writer-$c-$m.journal $c $m 7
        xz -9 -c writer-$c-$m.journal > "$here/writer-$c-$m.journal.xz"
    done
done
python3 "$here/digest.py" --file writer-none-regular.journal > "$here/writer.digest"

# A directory like /var/log/journal: a machine-ID folder with a duplicate file, a
# `.journal~` file and two broken files, a top-level file, a non-ID folder that sd-journal
# does not read, and a text file.
id=0123456789abcdef0123456789abcdef
mkdir -p multi/$id multi/remote
$remote -o multi/$id/a.journal a.export
cp multi/$id/a.journal multi/$id/a-copy.journal
$remote -o c.journal c.export && mv c.journal multi/$id/c.journal~
SYSTEMD_JOURNAL_COMPACT=0 $remote -o multi/b.journal b.export
python3 "$here/writer.py" multi/remote/ignored.journal zstd compact 9
for f in multi/$id/a.journal multi/$id/a-copy.journal multi/$id/c.journal~ multi/b.journal; do trim $f; done
python3 "$here/digest.py" -D multi > "$here/multi.digest"
rm -rf "$here/multi"
mkdir -p "$here/multi/$id" "$here/multi/remote"
for f in $id/a.journal $id/a-copy.journal $id/c.journal~ b.journal remote/ignored.journal; do
    xz -9 -c multi/$f > "$here/multi/$f.xz"
done

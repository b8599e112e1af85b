#!/bin/bash
# Fills the directory $1 with every structure the squashfs reader handles; mksquashfs then
# makes images of it.
set -euo pipefail
cd "$1"
mkdir small big files links attrs devs empty-dir
for i in 1 2 3 4 5; do echo "small $i" > "small/f$i"; done
mkdir small/sub
# More than 256 entries (several directory runs) and more than one metadata block of
# listing (an extended directory with an index).
for i in $(seq 1 1500); do echo "$i" > "big/a-rather-long-name-to-fill-metadata-blocks-$i"; done
# Names that are not UTF-8, with spaces and newlines.
: > "$(printf 'files/latin1-\xe9t\xe9')"
: > "files/with space"
: > "$(printf 'files/new\nline')"
printf 'hello\n' > files/small
: > files/empty
head -c 1048576 /dev/urandom > files/random
# Compressible data over several blocks with a tail in a fragment.
python3 -c "import sys; sys.stdout.write(('compressible line of text\\n' * 12000)[:300000])" > files/text
# x86 code, which mksquashfs -Xbcj x86 stores through the BCJ filter.
cp /bin/ls files/program
# Exactly one block, and one byte more.
head -c 131072 /dev/urandom > files/block
head -c 131073 /dev/urandom > files/block-plus
# Holes: blocks of zeros are stored as sparse blocks (size 0).
python3 - <<'PY'
import os
fd = os.open("files/sparse", os.O_CREAT | os.O_WRONLY, 0o644)
for i in range(20):
    os.pwrite(fd, bytes([i % 251 + 1]) * 4096, i * 400000)
os.ftruncate(fd, 20 * 400000 + 12345)
os.close(fd)
PY
truncate -s 5M files/all-hole
ln files/small files/hardlink
ln files/random files/hardlink-random
ln -s small links/short
ln -s "$(printf 'd%.0s' $(seq 1 900))/target" links/long
ln -s ../files/random links/up
ln -s /nowhere links/dangling
# Attributes: several namespaces, a value shared by several files (stored out of line).
: > attrs/one
setfattr -n user.one -v 1 attrs/one
setfattr -n trusted.two -v 2 attrs/one
setfattr -n security.three -v 3 attrs/one
: > attrs/many
for i in $(seq 1 40); do setfattr -n "user.attr$i" -v "value-$i-$(printf 'v%.0s' $(seq 1 40))" attrs/many; done
for f in shared1 shared2 shared3; do
  : > "attrs/$f"
  setfattr -n user.shared -v "$(printf 'same value %.0s' $(seq 1 30))" "attrs/$f"
done
: > attrs/big
setfattr -n user.big -v "$(head -c 3000 /dev/zero | tr '\0' 'z')" attrs/big
mkdir attrs/dir
setfattr -n user.on-a-dir -v yes attrs/dir
ln -s one attrs/link
setfattr -h -n trusted.on-a-link -v yes attrs/link
# Device files, a FIFO, a socket.
mknod devs/null c 1 3
mknod devs/sda1 b 8 1
mknod devs/big c 300 70000
mkfifo devs/fifo
python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind("devs/sock")'
# Owners, modes and times.
chown 1000:100 files/small
chown 4000000000:3000000000 files/random
chmod 4755 files/random
chmod 1777 empty-dir
touch -h -d '2001-02-03 04:05:06.123456789' files/small links/short
touch -d '1970-01-01 00:00:01' files/empty

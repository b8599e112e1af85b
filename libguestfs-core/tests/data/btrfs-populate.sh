#!/bin/bash
# Populates the btrfs filesystem mounted at $1 (mounted with -o compress=$COMPRESS when set,
# so that compressible files get compressed extents) with every structure the reader handles.
set -eu
cd "$1"
mkdir small big files links attrs devs
for i in 1 2 3 4 5; do echo "small $i" > "small/f$i"; done
mkdir small/sub
# Enough entries for a multi-level tree, removed in part so the index has gaps.
for i in $(seq 1 3000); do : > "big/a-rather-long-name-to-fill-leaves-quickly-$i"; done
for i in $(seq 1 3000 | shuf -n 500 --random-source=/dev/zero); do rm "big/a-rather-long-name-to-fill-leaves-quickly-$i"; done
# Names that are not UTF-8, with spaces and newlines.
: > "$(printf 'files/latin1-\xe9t\xe9')"
: > "files/with space"
: > "$(printf 'files/new\nline')"
printf 'hello\n' > files/small
: > files/empty
# Inline, compressible inline, just over the inline limit.
head -c 2000 /dev/urandom > files/inline-random
yes 'inline text that compresses well' | head -c 3000 > files/inline-text
yes 'text that compresses' | head -c 5000 > files/over-inline
head -c 1048576 /dev/urandom > files/random
# Compressible data in many extents (128 KiB each when compressed).
python3 - <<'PY'
import os, random
r = random.Random(1)
words = [bytes(r.choice(b"abcdefghij") for _ in range(r.randint(2, 9))) for _ in range(500)]
with open("files/text", "wb") as f:
    for _ in range(400000):
        f.write(r.choice(words) + b" ")
# A sparse file: 4 KiB written every 64 KiB, 200 times, then a tail hole.
fd = os.open("files/sparse", os.O_CREAT | os.O_WRONLY, 0o644)
for i in range(200):
    os.pwrite(fd, bytes([i % 251 + 1]) * 4096, i * 65536)
os.ftruncate(fd, 200 * 65536 + 12345)
os.close(fd)
# A file whose middle was overwritten (extents referring to parts of others).
fd = os.open("files/overwritten", os.O_CREAT | os.O_WRONLY, 0o644)
os.pwrite(fd, b"A" * 1048576, 0)
os.fsync(fd)
os.pwrite(fd, b"B" * 10000, 300000)
os.close(fd)
PY
# Preallocated extents, partly written.
fallocate -l 1M files/prealloc
printf 'written' | dd of=files/prealloc bs=1 seek=65536 conv=notrunc status=none
: > files/prealloc-beyond-eof
fallocate -n -l 64K files/prealloc-beyond-eof
echo tail >> files/prealloc-beyond-eof
ln files/small files/hardlink
ln -s small links/short
ln -s "$(printf 'd%.0s' $(seq 1 900))/target" links/long
ln -s ../files/random links/up
# Attributes: a few, many, a big value, ACLs.
: > attrs/few
setfattr -n user.one -v 1 attrs/few
setfattr -n trusted.two -v 2 attrs/few
setfattr -n security.three -v 3 attrs/few
: > attrs/many
for i in $(seq 1 200); do setfattr -n "user.many-attributes-$i" -v "$(printf 'w%.0s' $(seq 1 60))" attrs/many; done
: > attrs/big
setfattr -n user.big -v "$(head -c 3900 /dev/zero | tr '\0' 'z')" attrs/big
: > attrs/acl
setfacl -m u:1234:r-x,g:99:rw- attrs/acl
mkdir attrs/dacl
setfacl -d -m u:1234:rwx attrs/dacl
# Device files, a FIFO, a socket.
mknod devs/null c 1 3
mknod devs/sda1 b 8 1
mknod devs/big c 300 70000
mkfifo devs/fifo
python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind("devs/sock")'
# Owners, modes and times (nanoseconds, before 1970, after 2038).
chown 1000:100 files/small
chmod 4755 files/random
touch -h -d '2001-02-03 04:05:06.123456789' files/small links/short
touch -d '1969-12-31 23:59:59.5' files/empty
touch -d '2200-01-01 00:00:00.25' files/random

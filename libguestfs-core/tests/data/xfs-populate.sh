#!/bin/bash
# Populates the XFS filesystem mounted at $1 with every structure the reader handles.
set -euo pipefail
cd "$1"
mkdir sf block leaf node bt1 bt2 files links attrs devs
for i in 1 2 3 4 5; do echo "sf $i" > "sf/f$i"; done
mkdir sf/sub
for i in $(seq 1 30); do : > "block/entry-$i"; done
for i in $(seq 1 300); do : > "leaf/leaf-entry-number-$i"; done
for i in $(seq 1 3000); do : > "node/a-rather-long-name-to-fill-directory-blocks-quickly-$i"; done
# Two directories grown in turn, with file data in between, so that their blocks interleave
# and their data forks need a B-tree.
long=$(printf 'n%.0s' $(seq 1 200))
for i in $(seq 1 2000); do
  : > "bt1/$long-$i"
  : > "bt2/$long-$i"
  if (( i % 4 == 0 )); then head -c 4096 /dev/urandom > "files/spacer-$i"; fi
done
# Names that are not UTF-8, with spaces and newlines.
: > "$(printf 'files/latin1-\xe9t\xe9')"
: > "files/with space"
: > "$(printf 'files/new\nline')"
printf 'hello\n' > files/small
: > files/empty
head -c 1048576 /dev/urandom > files/random
# A fragmented sparse file: 4 KiB written every 64 KiB, 2000 times (a block-map B-tree).
python3 - <<'PY'
import os
fd = os.open("files/sparse", os.O_CREAT | os.O_WRONLY, 0o644)
for i in range(2000):
    os.pwrite(fd, bytes([i % 251 + 1]) * 4096, i * 65536)
os.ftruncate(fd, 2000 * 65536 + 12345)
os.close(fd)
PY
# Unwritten extents: preallocated, partly written.
xfs_io -f -c "falloc 0 1m" -c "pwrite -S 0x61 65536 4096" files/prealloc >/dev/null
xfs_io -f -c "pwrite -S 0x62 0 8192" -c "truncate 100000" files/tail-hole >/dev/null
ln files/small files/hardlink
ln -s small links/short
ln -s "$(printf 'd%.0s' $(seq 1 900))/target" links/long
ln -s "$(printf '/x%.0s' $(seq 1 511))/" links/max
ln -s ../files/random links/up
# Attributes: short-form, leaf, node, remote values, every namespace, ACLs.
: > attrs/sf
setfattr -n user.one -v 1 attrs/sf
setfattr -n trusted.two -v 2 attrs/sf
setfattr -n security.three -v 3 attrs/sf
: > attrs/leaf
for i in $(seq 1 40); do setfattr -n "user.attr$i" -v "value-$i-$(printf 'v%.0s' $(seq 1 40))" attrs/leaf; done
: > attrs/node
for i in $(seq 1 400); do setfattr -n "user.many-attributes-$i" -v "$(printf 'w%.0s' $(seq 1 60))" attrs/node; done
: > attrs/remote
setfattr -n user.big -v "$(head -c 6000 /dev/zero | tr '\0' 'z')" attrs/remote
setfattr -n user.small -v s attrs/remote
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
# Owners, modes and times (nanoseconds; after 2038 where big timestamps allow it).
chown 1000:100 files/small
chmod 4755 files/random
touch -h -d '2001-02-03 04:05:06.123456789' files/small links/short
touch -d '1969-12-31 23:59:59.5' files/empty
if [ "${BIGTIME:-0}" = 1 ]; then touch -d '2200-01-01 00:00:00.25' files/random; fi

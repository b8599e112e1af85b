#!/bin/bash
# Fills the directory $1 with what the ISO 9660 reader must handle once xorriso has written
# it: Rock Ridge attributes, symlinks, device nodes, deep directories (relocated without RR
# long paths), long and mixed-case names, names that ISO 9660 must mangle, sizes across
# sector boundaries, many entries (a directory over several sectors).
set -euo pipefail
cd "$1"
mkdir -p dir/sub empty many deep/a/b/c/d/e/f/g/h/i/j links devs
printf 'hello\n' > dir/small
: > dir/empty
head -c 2048 /dev/urandom > dir/exactly-one-sector
head -c 300000 /dev/urandom > dir/random
head -c 150000 < <(yes "a compressible line") > dir/text
truncate -s 70000 dir/zeros
echo nested > dir/sub/file
echo deep > deep/a/b/c/d/e/f/g/h/i/j/leaf
for i in $(seq 1 150); do echo "$i" > "many/entry-with-a-longish-name-$i.txt"; done
echo mixed > "MixedCase.TXT"
echo dots > "name.with.many.dots"
echo trailing > "trailing."
echo semi > "semi;colon"
echo space > "with space"
echo long > "$(printf 'l%.0s' $(seq 1 120))"
printf 'caf\xc3\xa9\n' > "$(printf 'caf\xc3\xa9')"
echo upper > UPPER
ln -s ../dir/small links/relative
ln -s /etc/passwd links/absolute
ln -s . links/dot
ln -s "$(printf 'x%.0s' $(seq 1 200))/yyyyyyyyyyyyyyyyyyyyy/zz" links/long
ln dir/small links/hardlink
chmod 0750 dir/sub
chmod 4755 dir/small
chmod 0600 dir/random
mkfifo devs/fifo
mknod devs/char c 1 3
mknod devs/block b 8 17
chown 1000:1000 dir/sub/file || true
touch -d '1999-12-31 23:59:59' dir/empty
touch -d '2038-02-01 00:00:00' dir/small

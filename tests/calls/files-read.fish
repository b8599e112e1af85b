# The reading calls of the files family on a fresh ext2 filesystem (libguestfs's InitBasicFS
# state): grep family, head/tail, wc, strings, hexdump, file and its kin, initrds, is_*,
# du, equal, llz.
umount-all
lvm-remove-all
part-disk /dev/sda mbr
mkfs ext2 /dev/sda1
mount /dev/sda1 /
write /g "abc\nABC\nxyz\nabc123\na.c\nAbC.x\n"
echo == grep
grep abc /g
grep a.c /g fixed:true
grep ABC /g insensitive:true
grep "b+c|^x" /g extended:true
grep "A.C" /g extended:true insensitive:true
grep nomatch /g
-grep a /g extended:true fixed:true
-grep "[" /g
-grep abc /missing
egrep "c[0-9]+" /g
fgrep a.c /g
grepi abc /g
egrepi "^a(b|[.])c$" /g
fgrepi .x /g
compress-out gzip /g g.gz
upload g.gz /g.gz
zgrep abc /g.gz
zegrep "3$" /g.gz
zfgrep a.c /g.gz
zgrepi ABC /g.gz
zegrepi "^x|c1" /g.gz
zfgrepi A.C /g.gz
grep xyz /g.gz compressed:true
echo == head and tail
write /n "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\nlast without newline"
head /n
head-n 3 /n
head-n 0 /n
head-n -13 /n
tail /n
tail-n 2 /n
tail-n -15 /n
tail-n 0 /n
-head /missing
-tail-n 3 /missing
echo == wc
wc-l /n
wc-w /n
wc-c /n
write /empty ""
wc-l /empty
-wc-l /missing
-wc-c /
echo == strings and hexdump
write /bin "\x01\x02hello world\x01ab\x02\x7flonger string here\nx"
strings /bin
strings-e S /bin
strings-e b /bin
-strings-e x /bin
-strings-e ss /bin
-strings /missing
hexdump /bin
hexdump /empty
-hexdump /missing
echo == file
file /g
file /empty
file /bin
file /g.gz | cut -d, -f1
mkdir /dir
file /dir
ln-s /g /link
file /link
file /dev/sdc
-file /missing
zfile gzip /g.gz
-zfile xz /g.gz
echo == file-architecture
upload /usr/bin/true /true
file-architecture /true
-file-architecture /g
-file-architecture /missing
echo == initrd
mkdir-p /initrd/bin
mkdir-p /initrd/etc
upload /usr/bin/true /initrd/bin/ls
write /initrd/etc/motd "welcome\n"
cpio-out /initrd initrd.cpio
!gzip -n initrd.cpio
upload initrd.cpio.gz /initrd.img
initrd-list /initrd.img | sort
initrd-cat /initrd.img etc/motd
file-architecture /initrd.img
-initrd-cat /initrd.img etc/nothere
-initrd-list /g
echo == is
is-blockdev /g
is-chardev /g
is-fifo /g
is-socket /g
is-blockdev /missing
is-socket /link followsymlinks:true
ln-s /loop /loop
is-fifo /loop
-is-fifo /loop followsymlinks:true
-is-chardev /g/x followsymlinks:true
echo == is-zero
touch /zero
truncate-size /zero 100000
is-zero /zero
is-zero /empty
is-zero /g
-is-zero /missing
-is-zero /dir
echo == du and equal
mkdir /du
write /du/a "a"
write /du/b "bb"
du /du
du /empty
-du /missing
write /g2 "abc\nABC\nxyz\nabc123\na.c\nAbC.x\n"
equal /g /g2
equal /g /n
-equal /g /missing
echo == llz
llz /du | awk '{print $1, $3, $4, $5, $NF}'
-llz /missing

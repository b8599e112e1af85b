# base64, checksums, compression and cpio streams out of (and base64 into) the guest, with
# 1.48's errors. `echo NAME: | cat - NAME` shows a host file in order with guestfish's output.
umount-all
lvm-remove-all
part-disk /dev/sda mbr
mkfs ext2 /dev/sda1
mount /dev/sda1 /
mkdir /src
write /src/a "hello\n"
mkdir /src/sub
write /src/sub/b "world\n"
ln-s a /src/link
echo == base64
!echo aGVsbG8gYmFzZTY0Cg== > in.b64
base64-in in.b64 /b
cat /b
base64-out /b out.b64
!cat out.b64 > out.txt
echo out.txt: | cat - out.txt
!printf 'aGVs\nbG8=\n' > wrapped.b64
base64-in wrapped.b64 /w
cat /w
echo
!echo aGVsbG8 > bad.b64
-base64-in bad.b64 /bad
-base64-in in.b64 /nodir/x
-base64-out /missing out.b64
-base64-out /src out.b64
echo == checksums
checksums-out md5 /src sums.md5
!sort sums.md5 > sums.md5.sorted
echo sums.md5.sorted: | cat - sums.md5.sorted
checksums-out SHA256 /src/sub sums.sha256
echo sums.sha256: | cat - sums.sha256
checksums-out crc /src sums.crc
!sort sums.crc > sums.crc.sorted
echo sums.crc.sorted: | cat - sums.crc.sorted
mkdir /emptydir
checksums-out sha1 /emptydir sums.empty
echo sums.empty: | cat - sums.empty
-checksums-out foo /src x
-checksums-out md5 /missing x
-checksums-out md5 /src/a x
echo == compress
compress-out gzip /src/a a.gz
!zcat a.gz > a.gz.txt
echo a.gz.txt: | cat - a.gz.txt
compress-out gzip /src/a a9.gz level:9
!zcat a9.gz > a9.gz.txt
echo a9.gz.txt: | cat - a9.gz.txt
compress-out bzip2 /src/a a.bz2 level:1
!bzcat a.bz2 > a.bz2.txt
echo a.bz2.txt: | cat - a.bz2.txt
compress-out xz /src/a a.xz level:0
!xzcat a.xz > a.xz.txt
echo a.xz.txt: | cat - a.xz.txt
compress-out lzop /src/a a.lzo
!lzop -dc a.lzo > a.lzo.txt
echo a.lzo.txt: | cat - a.lzo.txt
-compress-out compress /src/a a.Z
-compress-out gzip /src/a x level:10
-compress-out xz /src/a x level:-2
-compress-out foo /src/a x
-compress-out gzip /missing x
echo == cpio
cpio-out /src src.cpio
!cpio -it --quiet < src.cpio | sort > cpio.list
echo cpio.list: | cat - cpio.list
cpio-out /src src-crc.cpio format:crc
!head -c 6 src-crc.cpio > crc.magic && echo >> crc.magic
echo crc.magic: | cat - crc.magic
-cpio-out /src x format:odc
-cpio-out /missing x
-cpio-out /src/a x

# Writing calls on the scratch filesystem (InitScratchFS), the read-only ISO and the 10M disk.
mount /dev/sdb1 /
echo == fill
fill 0x63 10 /fill
read-file /fill
echo
fill 0 0 /fill0
filesize /fill0
-fill 256 10 /fill
-fill 65 -1 /fill
-fill 65 10 /nodir/fill
fill-pattern abcdefghijklmnopqrstuvwxyz 28 /fill_pattern
read-file /fill_pattern
echo
-fill-pattern "" 10 /fill_pattern
-fill-pattern ab -5 /fill_pattern
mkdir /fill_dir
fill-dir /fill_dir 3
ls /fill_dir
fill-dir /fill_dir 0
-fill-dir /nodir 2
echo == pwrite
write /pwrite "new file contents"
pwrite /pwrite data 4
cat /pwrite
echo
pwrite /pwrite "is extended" 9
cat /pwrite
echo
pwrite /pwrite "" 4
cat /pwrite
echo
-pwrite /pwrite x -1
-pwrite /nonexistent x 0
echo == write-file
write-file /write_file abc 0
cat /write_file
echo
write-file /write_file abcdef 2
cat /write_file
echo
-write-file /write_file abc 10000
-write-file /write_file abc -1
-write-file /nodir/f abc 0
echo == truncate
write /truncate "some stuff so size is not zero"
truncate /truncate
filesize /truncate
-truncate /nonexistent
echo == fallocate
fallocate /fallocate 1000000
filesize /fallocate
fallocate64 /fallocate64 1000000
filesize /fallocate64
-fallocate /fallocate -1
-fallocate64 /nodir/f 10
echo == copy
mkdir /copyff
write /copyff/src "hello, world"
copy-file-to-file /copyff/src /copyff/dest
read-file /copyff/dest
echo
copy-file-to-file /copyff/src /copyff/dest append:true
copy-file-to-file /copyff/src /copyff/dest append:true
read-file /copyff/dest
echo
copy-file-to-file /copyff/src /copyff/part srcoffset:7 size:5
read-file /copyff/part
echo
copy-file-to-file /copyff/src /copyff/part destoffset:2 size:3
read-file /copyff/part | od -c
fill 0 1048576 /copyff/zeroes
touch /copyff/sparse
truncate-size /copyff/sparse 1048576
copy-file-to-file /copyff/zeroes /copyff/sparse sparse:true
filesize /copyff/sparse
checksum md5 /copyff/sparse
copy-file-to-file /copyff/zeroes /copyff/sparse sparse:true size:1048576
checksum md5 /copyff/sparse
-copy-file-to-file /copyff/src /copyff/dest srcoffset:-1
-copy-file-to-file /copyff/src /copyff/dest destoffset:-1
-copy-file-to-file /copyff/src /copyff/dest size:-1
-copy-file-to-file /copyff/src /copyff/short size:100
exists /copyff/short
-copy-file-to-file /nonexistent /copyff/dest
-copy-file-to-file /copyff/src /nodir/dest
mkdir /copy_size
write /copy_size/src "hello, world"
copy-size /copy_size/src /copy_size/dest 5
read-file /copy_size/dest
echo
-copy-size /copy_size/src /copy_size/dest 100
-copy-size /nonexistent /copy_size/dest 5
echo == rename
mkdir /rename
write /rename/old "file content"
rename /rename/old /rename/new
is-file /rename/old
cat /rename/new
echo
-rename /rename/old /rename/new2
echo == utimens
touch /utimens-file
utimens /utimens-file 12345 67890 9876 5432
stat /utimens-file | grep -E "^[am]time"
statns /utimens-file | grep -E "^st_[am]time"
mkdir /utimens-dir
utimens /utimens-dir 12345 67890 9876 5432
stat /utimens-dir | grep mtime
utimens /utimens-file 1 -2 2 0
stat /utimens-file | grep -E "^[am]time"
-utimens /nonexistent 1 2 3 4
-utimens /utimens-file 1 1000000000 3 4
echo == mkdtemp and mktemp
mkdir /mkdtemp
mkdtemp /mkdtemp/tmpXXXXXX | sed 's/tmp....../tmpNNNNNN/'
glob is-dir /mkdtemp/tmp*
-mkdtemp /mkdtemp/tmp
-mkdtemp /nodir/tmpXXXXXX
mkdir /mktemp
mktemp /mktemp/tmpXXXXXX | sed 's/tmp....../tmpNNNNNN/'
mktemp /mktemp/tmpXXXXXX suffix:suff | sed 's/tmp....../tmpNNNNNN/'
ls /mktemp | sed 's/tmp....../tmpNNNNNN/' | sort
-mktemp /mktemp/tmpXXXXXY suffix:suff
-mktemp /mktemp/tmp
echo == umask
get-umask
umask 077
get-umask
touch /umask-file
stat /umask-file | grep mode
umask 022
-umask -1
-umask 01000
echo == zero
zero /dev/sdc
umount /
zero /dev/sdb1
-vfs-type /dev/sdb1
-zero /dev/sdz
echo == errors on a read-only and a full filesystem
mkfs ext2 /dev/sdc
mount /dev/sdc /
mkdir /iso
mount-ro /dev/sdd /iso
-fill 65 10 /iso/fill
-pwrite /iso/known-1 x 0
-truncate /iso/known-1
-rename /iso/known-1 /iso/known-4
-utimens /iso/known-1 1 2 3 4
-fallocate64 /iso/f 10
-copy-file-to-file /iso/known-1 /iso/known-5
-mkdtemp /iso/tmpXXXXXX
-write-file /iso/known-1 abc 0
-fill 0 20000000 /big
-fallocate64 /big2 20000000
-fill-pattern abc 20000000 /big3

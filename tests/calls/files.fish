# Files and directories on a fresh ext2 filesystem (libguestfs's InitBasicFS state).
blockdev-setrw /dev/sda
umount-all
lvm-remove-all
part-disk /dev/sda mbr
mkfs ext2 /dev/sda1
mount /dev/sda1 /
echo == touch
touch /new
is-file /new
is-dir /new
exists /new
filesize /new
-touch relative
-touch /nodir/x
echo == write and read
write /w "hello\nworld\n"
cat /w
read-lines /w
filesize /w
write-append /w "more"
read-file /w
echo
write /crlf "a\r\nb\r\n\r\nc"
read-lines /crlf
write /empty ""
filesize /empty
read-lines /empty
-cat /nonexistent
-read-lines /nonexistent
echo == mkdir
mkdir /d
mkdir-p /d/e/f
mkdir-p /d/e/f
is-dir /d/e/f
-mkdir /d
-mkdir /x/y
mkdir-mode /m 0700
stat /m | grep mode
echo == ls and find
touch /d/b
touch /d/a
ls /d
find /d
find /d/
readdir /d | grep -c name
echo == links
ln-s /w /sym
is-symlink /sym
is-file /sym
readlink /sym
realpath /sym
ln-s ../w /d/rel
readlink /d/rel
readlinklist /d "rel a"
echo == copy and move
cp /w /w2
read-file /w2
echo
mv /w2 /w3
exists /w2
exists /w3
-cp /nonexistent /x
echo == chmod and chown
chmod 0600 /w3
stat /w3 | grep mode
chown 10 20 /w3
stat /w3 | grep -E '^(uid|gid)'
echo == truncate
truncate-size /w3 1k
filesize /w3
truncate-size /w3 3
read-file /w3
echo
echo == pread
pread /w 5 6
echo
-pread /w -1 0
echo == checksum
checksum md5 /w
checksum sha256 /w
-checksum nope /w
echo == rm
rm /w3
exists /w3
-rm /w3
rm-f /w3
-rmdir /d
rm-rf /d
exists /d
rmdir /m
echo == case
mkdir /Case
touch /Case/File
case-sensitive-path /case/file
case-sensitive-path /CASE/new
case-sensitive-path /case//FILE
case-sensitive-path /case/
case-sensitive-path //
-case-sensitive-path /case/x/y
-case-sensitive-path /Case/File/sub
-case-sensitive-path /case/./file
-case-sensitive-path /case/..
echo == statns
lstatnslist / "new missing" | grep -E 'st_ino: -1|st_size'

# tar-in (every optional argument), tar-out, tgz and txz, round trips through host files, the
# errors of 1.48, and hostile tarballs that must not write outside the destination. tar-out
# goes to the appliance's daemon (every compression, xattrs, selinux and acls), as 1.48's.
# `echo NAME: | cat - NAME` shows a host file in order with guestfish's output.
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
chown 10 20 /src/a
echo == tar round trip
tar-out /src src.tar
!tar tf src.tar | sort > src.list
echo src.list: | cat - src.list
mkdir /dst
tar-in src.tar /dst
cat /dst/sub/b
readlink /dst/link
stat /dst/a | grep -E '^(uid|gid)'
echo == compressed
tgz-out /src src.tgz
mkdir /tgz
tgz-in src.tgz /tgz
cat /tgz/a
txz-out /src src.txz
mkdir /txz
txz-in src.txz /txz
cat /txz/sub/b
!bzip2 -c src.tar > src.tbz
mkdir /tbz2
tar-in src.tbz /tbz2 compress:bzip2
cat /tbz2/a
!lzop -c src.tar > src.tlz
mkdir /tlz
tar-in src.tlz /tlz compress:lzop
cat /tlz/a
tar-out /src src.tgz2 compress:gzip
mkdir /tgz2
tar-in src.tgz2 /tgz2 compress:gzip xattrs:true selinux:true acls:true
cat /tgz2/a
echo == tar-out options
tar-out /src src-out.tbz compress:bzip2 xattrs:true selinux:true acls:true
mkdir /tbz-out
tar-in src-out.tbz /tbz-out compress:bzip2
cat /tbz-out/a
tar-out /src src.txz2 compress:xz numericowner:true
!xz -t src.txz2 && echo src.txz2: xz ok
tar-out /src ex.tar excludes:sub numericowner:true
!tar tvf ex.tar --numeric-owner | awk '{print $2, $NF}' | sort > ex.list
echo ex.list: | cat - ex.list
tar-out /src x.tar excludes:"link,sub/*"
!tar tf x.tar | sort > x.list
echo x.list: | cat - x.list
echo == errors
-tar-in src.tar /missing
-tgz-out /missing x.tgz
-txz-out /src/a x.txz
!echo garbage > bad.tar
-tar-in bad.tar /dst
-tgz-in src.tar /dst
echo == hostile
# Host-made tarballs carry an old date: tar warns about times in the future of the guest's.
!echo x > f && tar cf dots.tar --mtime=2020-01-01 --transform='s|^f$|../escape|' f
mkdir-p /h/inner
-tar-in dots.tar /h/inner
exists /h/escape
!tar -P -cf abs.tar --mtime=2020-01-01 --transform='s|^f$|/abs/f|' f
tar-in abs.tar /h/inner
find /h
!mkdir -p t t2/lnk && ln -sfn / t/lnk && echo p > t2/lnk/pwned && tar cf sym.tar --mtime=2020-01-01 -C t lnk && tar rf sym.tar --mtime=2020-01-01 -C t2 lnk/pwned
-tar-in sym.tar /h/inner
exists /pwned
echo == special files
!mkdir -p sp && mkfifo sp/fifo && mknod sp/null c 1 3 && mknod sp/loop b 7 0 && tar cf special.tar --mtime=2020-01-01 -C sp .
mkdir /sp
tar-in special.tar /sp
is-fifo /sp/fifo
is-chardev /sp/null
is-blockdev /sp/loop
is-socket /sp/fifo
ln-s fifo /sp/lf
is-fifo /sp/lf
is-fifo /sp/lf followsymlinks:true
file /sp/null
file /sp/fifo
file /sp/loop

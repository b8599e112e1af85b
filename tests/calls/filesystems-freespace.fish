# Free space and images of it: zerofree, zero-free-space, fstrim, mksquashfs, f2fs.
part-init /dev/sda mbr
part-add /dev/sda p 2048 206847
mkfs ext3 /dev/sda1
mount /dev/sda1 /
write /new "test file"
zero-free-space /
fstrim /
fstrim / offset:0 length:1048576 minimumfreeextent:4096
-fstrim / offset:-1
-fstrim / length:0
-fstrim / minimumfreeextent:0
umount-all
zerofree /dev/sda1
-zerofree /dev/sdz
mount /dev/sda1 /
cat /new
echo == mksquashfs
mkdir /dir
write /dir/a "aaa"
write /dir/b.skip "bbb"
mksquashfs /dir dir.sqfs
! unsquashfs -l -d x dir.sqfs | sort
mksquashfs /dir dir2.sqfs compress:gzip excludes:"*.skip"
! unsquashfs -l -d x dir2.sqfs | sort
-mksquashfs /nonexistent bad.sqfs
-mksquashfs /dir bad.sqfs compress:nosuch
umount-all
echo == f2fs
mkfs f2fs /dev/sda1
part-del /dev/sda 1
part-add /dev/sda p 2048 -64
f2fs-expand /dev/sda1
vfs-type /dev/sda1

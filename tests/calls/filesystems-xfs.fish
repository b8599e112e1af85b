# XFS: xfs_admin (UUID, label), xfs_info of a device and of a mount point, xfs_repair,
# xfs_growfs after the partition grew, the minimum size of a mounted XFS.
part-init /dev/sda mbr
part-add /dev/sda p 2048 657407
mkfs xfs /dev/sda1
xfs-admin /dev/sda1 uuid:01234567-0123-0123-0123-0123456789ab
vfs-uuid /dev/sda1
xfs-admin /dev/sda1 label:LBL-TEST
vfs-label /dev/sda1
-xfs-admin /dev/sda1 label:thirteen-long
-xfs-admin /dev/sdb1 label:x
-xfs-admin /dev/sdz1 label:x
xfs-info /dev/sda1
-xfs-info /dev/sdb1
xfs-repair /dev/sda1 nomodify:true
xfs-repair /dev/sda1 noprefetch:true maxmem:128 ihashsize:1024 bhashsize:1024 agstride:2
xfs-repair /dev/sda1 forcelogzero:true forcegeometry:true
-xfs-repair /dev/sda1 maxmem:-1
-xfs-repair /dev/sda1 agstride:-1
echo == grow
part-del /dev/sda 1
part-add /dev/sda p 2048 -64
mount /dev/sda1 /
write /f "on xfs"
xfs-info / | grep -E 'xfs_(mntpoint|blocksize|datablocks|agcount)'
vfs-minimum-size /dev/sda1
xfs-growfs / datasec:true
xfs-info / | grep -E 'xfs_(blocksize|datablocks|agcount)'
xfs-growfs / maxpct:10
xfs-info / | grep -E 'xfs_imaxpct'
-xfs-growfs / datasize:-1
-xfs-growfs / maxpct:-1
-xfs-growfs /nonexistent
-xfs-admin /dev/sda1 label:mounted
cat /f
umount-all
-vfs-minimum-size /dev/sda1

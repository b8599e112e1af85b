# The daemon itself, and the mount calls on the scratch filesystem (InitScratchFS).
echo == daemon
ping-daemon
echo-daemon "hello world"
feature-available "linuxxattrs"
available "linuxxattrs"
-available "no-such-group"
sync
echo == mounts
umount-all
mount /dev/sdb1 /
mounts
mountpoints
vfs-type /dev/sdb1
umount /
mounts
-umount /
mount-ro /dev/sdb1 /
-touch /x
umount-all
mount-options "noatime" /dev/sdb1 /
umount-all
mount-vfs "" ext2 /dev/sdb1 /
umount-all
umount-all
-is-file /x
-mount /dev/sdz1 /
echo == iso
mount-ro /dev/sdd /
ls /
cat /known-1
is-dir /directory
umount-all

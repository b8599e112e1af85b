list-devices
list-partitions
list-filesystems
vfs-type /dev/sda1
vfs-label /dev/sda1
vfs-uuid /dev/sda2
blockdev-getsize64 /dev/sda
blockdev-getss /dev/sda
part-list /dev/sda
part-get-parttype /dev/sda
part-get-mbr-id /dev/sda 1
part-get-bootable /dev/sda 1
canonical-device-name /dev/sda1
glob echo /dev/sd*
glob echo /dev/sd? /dev/nomatch*
-mount-ro /dev/sda9 /
echo end

# Block devices and partitions from an empty disk (InitEmpty, InitPartition, InitGPT).
blockdev-setrw /dev/sda
umount-all
lvm-remove-all
echo == devices
list-devices
blockdev-getsize64 /dev/sda
blockdev-getsz /dev/sda
blockdev-getss /dev/sda
blockdev-getsize64 /dev/sdc
-blockdev-getsize64 /dev/sdz
-blockdev-getsize64 /dev/null
echo == mbr
part-init /dev/sda mbr
part-add /dev/sda p 64 1000
part-add /dev/sda p 1001 2000
part-list /dev/sda
part-get-parttype /dev/sda
list-partitions
part-get-mbr-id /dev/sda 1
part-set-mbr-id /dev/sda 1 0x83
part-get-mbr-id /dev/sda 1
part-to-dev /dev/sda2
part-to-partnum /dev/sda2
-part-to-partnum /dev/sda
part-del /dev/sda 2
part-list /dev/sda
echo == gpt
part-disk /dev/sda gpt
part-get-parttype /dev/sda
part-list /dev/sda
part-set-name /dev/sda 1 rootfs
part-set-gpt-type /dev/sda 1 0FC63DAF-8483-4772-8E79-3D69D8477DE4
part-get-gpt-type /dev/sda 1
-part-set-gpt-type /dev/sda 1 not-a-guid
-part-get-mbr-id /dev/sda 1
echo == filesystems
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1 label:ROOTFS
vfs-type /dev/sda1
vfs-label /dev/sda1
findfs-label ROOTFS
list-filesystems
-findfs-label NOSUCH
mkfs vfat /dev/sda1
vfs-type /dev/sda1
echo == pread-device
pread-device /dev/sdc 4 0 | od -An -tx1

# btrfs with several devices (device add/delete, replace), balance and scrub, then the
# offline tools on the unmounted filesystem: btrfstune, fsck, rescue, image.
echo == devices
part-disk /dev/sda mbr
mkfs btrfs /dev/sda1
mount /dev/sda1 /
btrfs-device-add "" /
btrfs-device-add /dev/sdb1 /
btrfs-filesystem-show /dev/sda1
-btrfs-device-add /dev/sdb1 /
btrfs-device-delete /dev/sdb1 /
btrfs-device-delete "" /
-btrfs-device-delete /dev/sdb1 /
btrfs-filesystem-show /dev/sda1
btrfs-replace /dev/sda1 /dev/sdb1 /
btrfs-filesystem-show /dev/sdb1
-btrfs-replace /dev/sda1 /dev/sdb1 /
echo == balance
btrfs-balance-status /
-btrfs-balance-pause /
-btrfs-balance-resume /
-btrfs-balance-cancel /
echo == scrub
btrfs-scrub-start /
btrfs-scrub-status / | grep -E 'errors|no_csum|csum_discards'
-btrfs-scrub-cancel /
-btrfs-scrub-resume /
umount /
echo == offline
btrfs-set-seeding /dev/sdb1 true
btrfs-set-seeding /dev/sdb1 false
btrfs-set-seeding /dev/sdc true
-btrfstune-seeding /dev/sdb1 true
btrfstune-seeding /dev/sdb1 false
-btrfstune-seeding /dev/sdc true
btrfstune-enable-extended-inode-refs /dev/sdb1
btrfstune-enable-skinny-metadata-extent-refs /dev/sdb1
-btrfstune-enable-extended-inode-refs /dev/sdc
btrfs-fsck /dev/sdb1
btrfs-fsck /dev/sdb1 superblock:0 repair:false
-btrfs-fsck /dev/sdb1 superblock:-1
-btrfs-fsck /dev/sdc
btrfs-rescue-super-recover /dev/sdb1
btrfs-rescue-chunk-recover /dev/sdb1
-btrfs-rescue-super-recover /dev/sdc
mount-ro /dev/sdb1 /
btrfs-image /dev/sdb1 /tmp/btrfs.img compresslevel:4
btrfs-image /dev/sdb1 /tmp/btrfs.img
-btrfs-image "" /tmp/btrfs.img
-btrfs-image /dev/sdc /tmp/btrfs.img

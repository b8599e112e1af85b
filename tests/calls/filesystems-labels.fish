# Labels, UUIDs and minimum sizes of each filesystem type, and mkfs of every type the
# appliance can make with its optional arguments.
part-disk /dev/sda mbr
echo == ext4
mkfs ext4 /dev/sda1 label:extlabel
vfs-label /dev/sda1
set-label /dev/sda1 testlabel
vfs-label /dev/sda1
-set-label /dev/sda1 a-label-longer-than-16
set-uuid /dev/sda1 01234567-0123-0123-0123-0123456789ab
vfs-uuid /dev/sda1
-set-uuid /dev/sda1 random
-set-uuid /dev/sda1 clear
set-uuid-random /dev/sda1
vfs-uuid /dev/sda1 | wc -c
echo == xfs
mkfs xfs /dev/sda1 label:xfslabel blocksize:4096
vfs-type /dev/sda1
vfs-label /dev/sda1
set-label /dev/sda1 LBL-TEST
vfs-label /dev/sda1
-set-label /dev/sda1 ---
-set-label /dev/sda1 thirteen-long
set-uuid /dev/sda1 01234567-0123-0123-0123-0123456789ab
vfs-uuid /dev/sda1
-set-uuid /dev/sda1 generate
-set-uuid /dev/sda1 nil
set-uuid-random /dev/sda1
vfs-uuid /dev/sda1 | wc -c
-mkfs xfs /dev/sda1 label:thirteen-long
echo == vfat
mkfs vfat /dev/sda1 label:FATLABEL blocksize:16384
vfs-type /dev/sda1
vfs-label /dev/sda1
set-label /dev/sda1 NEWFAT
vfs-label /dev/sda1
-set-uuid /dev/sda1 1234-5678
-set-uuid-random /dev/sda1
-vfs-minimum-size /dev/sda1
-mkfs vfat /dev/sda1 blocksize:131072
mkfs msdos /dev/sda1
vfs-type /dev/sda1
mkfs fat /dev/sda1 label:FAT
vfs-label /dev/sda1
echo == ntfs
mkfs ntfs /dev/sda1 label:ntfslabel blocksize:4096
vfs-type /dev/sda1
vfs-label /dev/sda1
set-label /dev/sda1 testlabel2
vfs-label /dev/sda1
-set-uuid /dev/sda1 01234567-0123-0123-0123-0123456789ab
echo == btrfs
mkfs btrfs /dev/sda1 label:btrfslabel
vfs-type /dev/sda1
vfs-label /dev/sda1
set-label /dev/sda1 newbtrfs
vfs-label /dev/sda1
set-uuid /dev/sda1 01234567-0123-0123-0123-0123456789ab
vfs-uuid /dev/sda1
set-uuid-random /dev/sda1
vfs-uuid /dev/sda1 | wc -c
-vfs-minimum-size /dev/sda1
mount /dev/sda1 /
vfs-minimum-size /dev/sda1
umount-all
-mkfs btrfs /dev/sda1 blocksize:4096
echo == f2fs
mkfs f2fs /dev/sda1 label:f2fslabel
vfs-type /dev/sda1
vfs-label /dev/sda1
-set-label /dev/sda1 other
echo == minix
mkfs minix /dev/sda1
vfs-type /dev/sda1
-mkfs minix /dev/sda1 label:x
echo == mkfs errors
# (On a logical volume: 1.48 quotes the appliance's names of disks, which change between runs.)
pvcreate /dev/sdc
vgcreate VG /dev/sdc
lvcreate LV VG 8
-mkfs nosuchfs /dev/VG/LV
-mkfs vfat /dev/VG/LV blocksize:65536
mkfs vfat /dev/VG/LV
vfs-type /dev/VG/LV
-mkfs ext4 /dev/sda1 blocksize:3000
-mkfs ext4 /dev/sda1 blocksize:0
-mkfs xfs /dev/sda1 inode:256
-mkfs ext4 /dev/sda1 inode:-1
-mkfs ext4 /dev/sda1 sectorsize:512
-mkfs ext4 /dev/sda1 label:a-label-longer-than-16
-mkfs ext4 /dev/sdz1
mkfs ext4 /dev/sda1 blocksize:1024 inode:256 features:^has_journal
tune2fs-l /dev/sda1 | grep -E '^(Block size|Inode size|Filesystem features):'
mkfs-b ext3 2048 /dev/sda1
tune2fs-l /dev/sda1 | grep -E '^Block size:'
-mkfs-b ext3 1000 /dev/sda1
-mkfs-b btrfs 4096 /dev/sda1
echo == unknown types and empty devices
wipefs /dev/sda1
-set-label /dev/sda1 testlabel2
-set-uuid /dev/sda1 01234567-0123-0123-0123-0123456789ab
-set-uuid-random /dev/sda1
-vfs-minimum-size /dev/sda1
echo == minimum sizes
mkfs ext4 /dev/sda1
vfs-minimum-size /dev/sda1
mkfs ntfs /dev/sda1
vfs-minimum-size /dev/sda1
mkfs xfs /dev/sda1
-vfs-minimum-size /dev/sda1
mount /dev/sda1 /
vfs-minimum-size /dev/sda1
umount-all

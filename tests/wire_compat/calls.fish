# Every daemon call this project implements, through guestfish (reading this script on its
# standard input), on three disks: /dev/sda
# (256 MiB, blank: MBR, filesystems, LVM), /dev/sdb (64 MiB, blank: GPT) and /dev/sdc (a LUKS
# volume, passphrase "secret"). A leading "-" lets a call fail without ending the script: its
# error message is part of the output compared.
run

# The daemon itself.
ping-daemon
echo-daemon "hello wire"
available-all-groups
feature-available lvm2
feature-available luks
feature-available gdisk
feature-available wipefs

# Block devices.
list-devices
blockdev-getsize64 /dev/sda
blockdev-getsz /dev/sda
blockdev-getss /dev/sda
blockdev-getbsz /dev/sda
blockdev-getro /dev/sda
-blockdev-getsize64 /dev/sdz
-blockdev-getsize64 /dev/sda9
pread-device /dev/sda 16 0

# An MBR partition table.
part-init /dev/sda mbr
part-add /dev/sda p 2048 206847
part-add /dev/sda primary 206848 411647
part-add /dev/sda e 411648 -1
part-add /dev/sda l 413696 -2048
part-set-bootable /dev/sda 1 true
part-set-mbr-id /dev/sda 2 0x8e
part-list /dev/sda
part-get-parttype /dev/sda
part-get-mbr-id /dev/sda 1
part-get-mbr-id /dev/sda 2
part-to-dev /dev/sda5
part-to-partnum /dev/sda5
list-partitions
-part-del /dev/sda 0
-part-init /dev/sda foo
-part-add /dev/sda x 1 2
-part-add /dev/sda p -1 2
-part-set-bootable /dev/sda 0 true
-part-get-gpt-type /dev/sda 1
-part-to-dev /dev/sda
-part-list /dev/sdz

# A GPT partition table.
part-disk /dev/sdb gpt
part-get-parttype /dev/sdb
part-set-name /dev/sdb 1 data
part-set-gpt-type /dev/sdb 1 0FC63DAF-8483-4772-8E79-3D69D8477DE4
part-get-gpt-type /dev/sdb 1
part-get-gpt-guid /dev/sdb 1
part-list /dev/sdb
part-del /dev/sdb 1
part-add /dev/sdb p 2048 -2048
part-list /dev/sdb
-part-get-mbr-id /dev/sdb 1
-part-set-mbr-id /dev/sdb 0 0x83

# Filesystems.
mkfs ext4 /dev/sda1 label:root blocksize:4096 inode:256
mkfs vfat /dev/sda5 label:DATA
mkfs ext2 /dev/sdb1 features:^resize_inode
-mkfs ext4 /dev/sda1 label:a-label-longer-than-16
-mkfs ext4 /dev/sda1 blocksize:3000
-mkfs vfat /dev/sda5 inode:256
-mkfs ext4 /dev/sda1 sectorsize:512
-mkfs btrfs /dev/sda5 blocksize:4096
-mkfs nosuchfs /dev/sda5
vfs-type /dev/sda1
vfs-label /dev/sda1
vfs-uuid /dev/sda1
vfs-type /dev/sda5
vfs-label /dev/sda5
findfs-label root
-findfs-label nosuchlabel
list-filesystems

# LVM.
pvcreate /dev/sda2
vgcreate vg0 /dev/sda2
lvcreate lv0 vg0 32
lvcreate-free lv1 vg0 50
-lvcreate-free lv2 vg0 101
-lvcreate lv0 vg0 8
-vgcreate vg0 /dev/sda2
pvs
vgs
lvs
pvs-full
vgs-full
lvs-full
pvuuid /dev/sda2
vguuid vg0
lvuuid /dev/vg0/lv0
vglvuuids vg0
vgpvuuids vg0
mkfs ext2 /dev/vg0/lv0
list-filesystems

# Files.
mount /dev/sda1 /
mounts
mountpoints
mkdir /dir
mkdir-p /dir/a/b/c
mkdir-p /dir/a/b
-mkdir /x/y
-mkdir /dir
touch /dir/empty
write /dir/file "hello wire\n"
write-append /dir/file "more\n"
cat /dir/file
filesize /dir/file
upload upload.bin /dir/up.bin
checksum md5 /dir/up.bin
checksum sha256 /dir/up.bin
checksum crc /dir/up.bin
upload-offset upload.bin /dir/up.bin 100
filesize /dir/up.bin
download-offset /dir/file - 6 4
download /dir/file -
pread /dir/file 5 0
cp /dir/file /dir/copy
mv /dir/copy /dir/moved
ln-s file /dir/link
readlink /dir/link
realpath /dir/link
chmod 0600 /dir/file
chown 10 20 /dir/file
statns /dir/file
lstatns /dir/link
is-file /dir/file
is-dir /dir
is-symlink /dir/link
exists /dir/nothere
is-file /dir/link followsymlinks:true
is-dir /dir/nothere
ls /dir
find /dir
lstatnslist /dir "file link nothere"
readlinklist /dir "link file"
case-sensitive-path /DIR/FILE
case-sensitive-path /dir/NEW
lgetxattrs /dir/file
setxattr user.colour blue 4 /dir/file
lsetxattr user.shape round 5 /dir/file
getxattrs /dir/file
lgetxattrs /dir/link
getxattr /dir/file user.colour
lgetxattr /dir/file user.shape
lxattrlist /dir "file link nothere"
removexattr user.colour /dir/file
lremovexattr user.shape /dir/file
getxattrs /dir/file
-getxattr /dir/file user.nothere
-removexattr user.nothere /dir/file
-getxattrs /dir/nothere
truncate-size /dir/file 3
cat /dir/file
rm /dir/moved
rm-f /dir/nothere
rmdir /dir/a/b/c
rm-rf /dir/a
ls /dir
-rm /dir/nothere
-rmdir /dir/nothere
-rmdir /dir
-rm-rf /
-touch /dir
-mkdir-p /dir/file/x
-chmod -1 /dir/file
-chmod 0644 /dir/nothere
-chown 1 1 /dir/nothere
-ln-s file /dir/link
-cp /dir/nothere /dir/x
-mv /dir/nothere /dir/x
-upload upload.bin /nodir/x
# (upload-offset with a negative offset is left out: 1.48's daemon replies without
# cancelling the upload and loses protocol synchronization.)
-download /dir -
-download-offset /dir/file - -1 2
-checksum md5 /nothere
-checksum nosuchsum /dir/file
-cat /nothere
-ls dir
-filesize /nothere
-truncate-size /nothere 1
-readlink /dir/file
-statns /nothere
-pread /dir/file -1 0
-pread /dir/file 10 -1

# More filesystems, mounted beside the root.
mkdir /mnt
mkdir /mnt2
mount-ro /dev/vg0/lv0 /mnt
mount-vfs ro vfat /dev/sda5 /mnt2
mount-options ro /dev/sdb1 /dir
mountpoints
ls /mnt2
-mount /dev/sda9 /mnt
-mount /dev/sdz /mnt
-mount nodevice /mnt
-mount /dev/sda1 relative
umount /mnt2
umount /dev/sdb1
umount /mnt
-umount /mnt
mounts
umount-all
mounts
-ls /

# Encrypted volumes. guestfish reads the script from standard input with
# --keys-from-stdin: the line after a call that takes a passphrase is that passphrase.
vfs-type /dev/sdc
cryptsetup-open /dev/sdc lukstest
secret
mkfs ext4 /dev/mapper/lukstest label:vault
list-filesystems
-cryptsetup-open /dev/sdc lukstest
secret
cryptsetup-close /dev/mapper/lukstest
-cryptsetup-close /dev/sdc
-cryptsetup-open /dev/sdc lukstest
wrong
-cryptsetup-open /dev/sda1 notluks
secret
luks-open /dev/sdc ro1
secret
vfs-label /dev/mapper/ro1
luks-close /dev/mapper/ro1
luks-open-ro /dev/sdc ro2
secret
luks-close /dev/mapper/ro2

# Removing volumes, signatures and data.
lvremove /dev/vg0/lv1
lvs
-lvremove /dev/vg0/nosuchlv
vgremove vg0
vgs
pvremove /dev/sda2
pvs
wipefs /dev/sda5
vfs-type /dev/sda5
zero-device /dev/sdb
pread-device /dev/sdb 16 0
-part-get-parttype /dev/sdb
list-md-devices
pvcreate /dev/sda2
vgcreate vg1 /dev/sda2
lvcreate lv0 vg1 8
vg-activate false "vg1"
lvs
vg-activate-all true
lvm-scan true
lvm-scan false
lvs
-vg-activate true "nosuchvg"
sync

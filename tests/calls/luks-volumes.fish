# LUKS: formatting, keys and key slots, opening and closing (InitEmpty). Keys are read from
# the line after the command (guestfish reads them from stdin when there is no terminal).
blockdev-setrw /dev/sda
umount-all
lvm-remove-all
part-disk /dev/sda mbr
luks-format /dev/sda1 0
key1
vfs-type /dev/sda1
luks-uuid /dev/sda1 | wc -c
-luks-uuid /dev/sdb1
echo == open
luks-open /dev/sda1 lukstest
key1
mkfs ext2 /dev/mapper/lukstest
list-dm-devices
vfs-type /dev/mapper/lukstest
-luks-open /dev/sda1 lukstest
key1
luks-close /dev/mapper/lukstest
list-dm-devices
-luks-open /dev/sda1 lukstest
wrongkey
-luks-close /dev/mapper/nosuch
echo == keys
luks-add-key /dev/sda1 1
key1
key2
-luks-add-key /dev/sda1 2
wrongkey
key3
luks-open-ro /dev/sda1 lukstest
key2
vfs-type /dev/mapper/lukstest
luks-close /dev/mapper/lukstest
luks-kill-slot /dev/sda1 0
key2
-luks-open /dev/sda1 lukstest
key1
-luks-kill-slot /dev/sda1 5
key2
echo == cryptsetup
cryptsetup-open /dev/sda1 cr readonly:true
key2
-cryptsetup-open /dev/sda1 cr
key2
cryptsetup-close /dev/mapper/cr
cryptsetup-open /dev/sda1 cr crypttype:luks
key2
cryptsetup-close /dev/mapper/cr
-cryptsetup-open /dev/sdb1 x
key2
echo == cipher
luks-format-cipher /dev/sda1 2 aes-cbc-essiv:sha256
key4
cryptsetup-open /dev/sda1 cr
key4
vfs-type /dev/mapper/cr
cryptsetup-close /dev/mapper/cr

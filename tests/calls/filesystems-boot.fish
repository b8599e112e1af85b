# Boot loaders: syslinux on FAT, extlinux on ext, grub-install.
part-disk /dev/sda mbr
mkfs vfat /dev/sda1
syslinux /dev/sda1
mount /dev/sda1 /
ls /
mkdir /syslinux
umount-all
syslinux /dev/sda1 directory:/syslinux
mount /dev/sda1 /
ls /syslinux
umount-all
-syslinux /dev/sdb1
-syslinux /dev/sda1 directory:/nonexistent
mount /dev/sdb1 /
mkdir /boot
extlinux /boot
ls /boot
-extlinux /nonexistent
-grub-install / /dev/sda

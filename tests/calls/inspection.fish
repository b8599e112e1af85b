# Inspection of a small Linux guest built here (os-release, fstab, hostname, and a real
# x86-64 program for the architecture), next to the prelude's empty ext2 and the test ISO.
# (1.48 checks a root's device before anything else; this library answers the getters from
# what inspect_os found, so a missing device reads as "no inspection data" instead.)
inspect-get-roots
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir-p /etc
mkdir-p /bin
mkdir-p /usr/bin
write /etc/fstab "/dev/sda1 / ext4 defaults 0 1\n/dev/sdb1 /data ext2 defaults 0 2\n"
write /etc/os-release "NAME=\"Fedora Linux\"\nVERSION=\"36 (Server Edition)\"\nID=fedora\nVERSION_ID=36\nPRETTY_NAME=\"Fedora Linux 36 (Server Edition)\"\nVARIANT=\"Server Edition\"\nVARIANT_ID=server\n"
write /etc/hostname "testhost.example.com\n"
upload /bin/ls /bin/ls
umount-all
inspect-os
inspect-get-roots
inspect-get-type /dev/sda1
inspect-get-distro /dev/sda1
inspect-get-product-name /dev/sda1
inspect-get-product-variant /dev/sda1
inspect-get-major-version /dev/sda1
inspect-get-minor-version /dev/sda1
inspect-get-arch /dev/sda1
inspect-get-hostname /dev/sda1
inspect-get-package-format /dev/sda1
inspect-get-package-management /dev/sda1
inspect-get-mountpoints /dev/sda1
inspect-get-filesystems /dev/sda1
inspect-get-drive-mappings /dev/sda1
inspect-get-format /dev/sda1
inspect-is-live /dev/sda1
inspect-is-netinst /dev/sda1
inspect-is-multipart /dev/sda1
inspect-get-osinfo /dev/sda1
-inspect-get-windows-systemroot /dev/sda1
-inspect-get-windows-current-control-set /dev/sda1
-inspect-get-windows-software-hive /dev/sda1
-inspect-get-windows-system-hive /dev/sda1
mounts

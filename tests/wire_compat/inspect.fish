# guestfish -i on the guest of inspect-guest.fish: inspection, hivex and journal calls.
inspect-get-roots
inspect-get-type /dev/sda1
inspect-get-distro /dev/sda1
inspect-get-product-name /dev/sda1
inspect-get-major-version /dev/sda1
inspect-get-minor-version /dev/sda1
inspect-get-arch /dev/sda1
inspect-get-hostname /dev/sda1
inspect-get-mountpoints /dev/sda1
inspect-get-filesystems /dev/sda1
inspect-get-package-format /dev/sda1
inspect-get-package-management /dev/sda1
inspect-get-format /dev/sda1
inspect-get-osinfo /dev/sda1
-inspect-get-windows-systemroot /dev/sda1
cat /etc/hostname
hivex-open /minimal.hive
hivex-root
hivex-node-name 4128
hivex-node-children 4128
-hivex-node-add-child 4128 x
-hivex-node-parent 4128
hivex-close
-hivex-close
journal-open /var/log/journal
journal-next
journal-get-data-threshold
journal-close
-journal-close

guestfish -N fs:ext4:64M -m /dev/sda1 < scripts/write.gf

guestfish -N fs:ext2:32M -m /dev/sda1 < scripts/copy.gf

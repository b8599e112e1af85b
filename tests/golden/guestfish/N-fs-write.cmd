guestfish -N fs:ext4:64M -m /dev/sda1 write /hello hi : cat /hello : list-filesystems && ls test1.img

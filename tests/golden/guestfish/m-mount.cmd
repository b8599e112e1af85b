guestfish --ro -a demo.img -m /dev/sda2 -m /dev/sda1:/boot cat /etc/hostname : ls /boot

echo cat /etc/hostname | guestfish --ro -i demo.img

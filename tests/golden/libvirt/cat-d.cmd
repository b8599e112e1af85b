virt-cat -c test://$PWD/guests.xml -d demo /etc/hostname /etc/fstab

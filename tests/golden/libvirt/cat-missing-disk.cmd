virt-cat -c test://$PWD/guests.xml -d missing-disk /etc/fstab

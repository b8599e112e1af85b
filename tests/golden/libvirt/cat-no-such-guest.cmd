virt-cat -c test://$PWD/guests.xml -d nosuch /etc/fstab

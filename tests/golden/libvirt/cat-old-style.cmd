virt-cat -c test://$PWD/guests.xml demo /etc/hostname

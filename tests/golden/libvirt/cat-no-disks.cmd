virt-cat -c test://$PWD/guests.xml -d no-disks /etc/fstab

virt-df -c test://$PWD/guests.xml -d two-disks

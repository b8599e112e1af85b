virt-filesystems -c test://$PWD/guests.xml -d two-disks --all --long --uuid

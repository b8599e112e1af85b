virt-filesystems -c test://$PWD/guests.xml --domain readonly-disk --all --long

virt-log -c test://$PWD/guests.xml -d demo

virt-inspector -c test://$PWD/guests.xml -d demo

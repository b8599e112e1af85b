virt-df -c test://$PWD/guests.xml demo-qcow2

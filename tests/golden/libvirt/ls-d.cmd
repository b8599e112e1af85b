virt-ls -c test://$PWD/guests.xml -d demo-qcow2 -lR /etc

virt-diff -c test://$PWD/guests.xml -d demo -D demo-qcow2

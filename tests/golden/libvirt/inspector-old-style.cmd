virt-inspector --connect test://$PWD/guests.xml demo-qcow2

virt-alignment-scan -c test://$PWD/guests.xml -d demo --uuid

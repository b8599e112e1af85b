virt-alignment-scan -P 1 -c test://$PWD/guests.xml --uuid

virt-df -P 1 -c test://$PWD/guests.xml --one-per-guest -h

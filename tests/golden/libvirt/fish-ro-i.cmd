guestfish -c test://$PWD/guests.xml -d demo --ro -i cat /etc/hostname

guestfish -c test://$PWD/guests.xml -d demo run

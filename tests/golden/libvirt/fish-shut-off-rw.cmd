guestfish -c test://$PWD/guests.xml -d shut-off run : list-devices

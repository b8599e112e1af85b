guestfish add-domain shut-off-readonly-disk libvirturi:test://$PWD/guests.xml : run : list-devices

guestfish add-domain shut-off-readonly-disk libvirturi:test://$PWD/guests.xml readonlydisk:ignore : run : list-devices

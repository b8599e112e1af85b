guestfish add-domain shut-off-readonly-disk libvirturi:test://$PWD/guests.xml readonlydisk:read : run : list-devices

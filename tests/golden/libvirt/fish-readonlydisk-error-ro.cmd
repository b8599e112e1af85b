guestfish add-domain shut-off-readonly-disk libvirturi:test://$PWD/guests.xml readonlydisk:error readonly:true : run : list-devices

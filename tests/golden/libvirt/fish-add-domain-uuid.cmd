guestfish add-domain 00000000-0000-4000-8000-000000000003 libvirturi:test://$PWD/guests.xml readonly:true allowuuid:true : run : list-devices

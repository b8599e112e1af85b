guestfish add-domain readonly-disk libvirturi:test://$PWD/guests.xml readonly:true readonlydisk:ignore : run

guestfish add-domain shut-off libvirturi:test://$PWD/guests.xml readonlydisk:sometimes

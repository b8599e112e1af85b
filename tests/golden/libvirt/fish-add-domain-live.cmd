guestfish add-domain shut-off libvirturi:test://$PWD/guests.xml live:true

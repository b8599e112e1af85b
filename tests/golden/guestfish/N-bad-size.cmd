guestfish -N disk:1x

guestfish -a

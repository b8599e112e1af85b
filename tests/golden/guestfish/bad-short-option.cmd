guestfish -z

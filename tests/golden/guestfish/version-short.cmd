guestfish -V

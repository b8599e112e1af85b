guestfish -f nosuch.gf

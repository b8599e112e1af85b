guestfish -a nosuch.img

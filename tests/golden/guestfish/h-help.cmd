guestfish -h help

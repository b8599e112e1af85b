guestfish -h nosuch

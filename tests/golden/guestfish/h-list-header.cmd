guestfish -h | head -n 3

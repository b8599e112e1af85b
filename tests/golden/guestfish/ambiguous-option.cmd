guestfish --no

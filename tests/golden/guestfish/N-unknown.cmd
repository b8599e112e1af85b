guestfish -N bogus

guestfish -N lv:nolvname

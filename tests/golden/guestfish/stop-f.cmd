guestfish -f scripts/stop.gf

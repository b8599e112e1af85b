guestfish < scripts/stop.gf

guestfish < scripts/quit.gf

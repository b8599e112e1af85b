guestfish < scripts/win.gf

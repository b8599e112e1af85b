guestfish < scripts/continue.gf

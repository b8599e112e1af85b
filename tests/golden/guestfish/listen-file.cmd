guestfish --listen -f scripts/quit.gf

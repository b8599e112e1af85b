guestfish < scripts/fishcmds.gf

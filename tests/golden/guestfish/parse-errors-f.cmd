guestfish -f scripts/parse-errors.gf

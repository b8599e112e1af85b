guestfish < scripts/parse-errors.gf

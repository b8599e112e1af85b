guestfish < scripts/arg-errors.gf

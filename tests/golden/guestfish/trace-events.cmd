guestfish < scripts/trace-events.gf

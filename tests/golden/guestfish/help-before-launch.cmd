guestfish help </dev/null

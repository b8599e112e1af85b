guestfish --listen --remote=1

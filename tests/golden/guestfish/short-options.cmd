guestfish --short-options

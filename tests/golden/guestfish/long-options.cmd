guestfish --long-options

guestfish --help

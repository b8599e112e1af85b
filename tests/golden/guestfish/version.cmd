guestfish --version

guestfish --remote=abc echo x

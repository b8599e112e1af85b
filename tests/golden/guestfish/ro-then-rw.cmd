guestfish --ro --rw echo x

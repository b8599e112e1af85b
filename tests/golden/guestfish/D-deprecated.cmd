guestfish -D echo x

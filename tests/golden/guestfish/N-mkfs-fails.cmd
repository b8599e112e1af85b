guestfish -N fs:nosuchfs:16M

guestfish help : echo never > /dev/full

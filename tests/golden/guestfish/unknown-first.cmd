guestfish disk.img

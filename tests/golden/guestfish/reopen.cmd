guestfish --ro -a demo.img run : reopen : add-ro demo.img : run : list-devices

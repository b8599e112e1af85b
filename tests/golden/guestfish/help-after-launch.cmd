guestfish --ro -a demo.img run : help

guestfish --ro -a demo.img run : supported | head -n 5

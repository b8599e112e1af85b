guestfish -a demo.img run : alloc x.img 1M

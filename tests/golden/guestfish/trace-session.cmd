guestfish -x -a demo.img get-trace : echo x : get-verbose

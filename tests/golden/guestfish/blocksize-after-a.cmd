guestfish -a demo.img --blocksize=512
